"""/elections: election days, their status and source, and the statutory milestones."""

from __future__ import annotations

from datetime import date

from bot.core.markup import Text, TextLike, fmt, join, plain
from bot.core.replies import Button, Reply
from handlers import alerts
from handlers.areas import (
    ASK_PLACE,
    county_pointer,
    election_summary,
    find_area,
    remember_area,
    remembered_area,
)
from handlers.base import Ctx, action_arg, command_args, message_text, new_router
from handlers.labels import ELECTION_STATUSES, label, long_date
from handlers.milestones import ROLL_DAYS_BEFORE, milestones
from handlers.policy import policy
from handlers.sources import describe
from handlers.start import DESCRIPTIONS
from storage.areas import get_area, search_areas
from storage.elections import ElectionView, elections_in_area
from storage.models import ElectionStatus

router = new_router()

ASK = "elections.ask"
SHOWN = 5


def milestone_lines(ctx: Ctx, election: ElectionView, today: date) -> list[Text]:
    lines = []
    for m in milestones(election):
        if m.election_day:  # as firm as the election's status says, no firmer
            how = fmt(
                ctx._("{status}; {article}"),
                status=label(ELECTION_STATUSES, election.status, ctx._),
                article=ctx._(m.article),
            )
        elif m.derived:
            how = fmt(ctx._("by law, {article}"), article=ctx._(m.article))
        else:
            how = fmt(ctx._("announced; {article}"), article=ctx._(m.article))
        values: dict[str, TextLike] = {
            "date": long_date(m.day, ctx.language),
            "what": ctx._(m.label),
            "how": how,
        }
        if m.day < today:
            line = fmt(ctx._("• {date}: {what} ({how}) [{when}]"), when=ctx._("past"), **values)
        elif m.day == today:
            line = fmt(ctx._("• {date}: {what} ({how}) [{when}]"), when=ctx._("today"), **values)
        else:
            line = fmt(ctx._("• {date}: {what} ({how})"), **values)
        lines.append(line)
    return lines


def _source(ctx: Ctx, election: ElectionView) -> Text:
    return describe(ctx._, election.source, demo=election.demo)


def election_block(ctx: Ctx, election: ElectionView, today: date) -> Text:
    lines: list[Text] = [election_summary(ctx, election)]
    lines.append(
        fmt(
            ctx._("Source: {source} · last updated {date}"),
            source=_source(ctx, election),
            date=long_date(election.updated_at.date(), ctx.language),
        )
    )
    if election.status == ElectionStatus.postponed and election.election_day:
        lines.append(
            fmt(
                ctx._("Postponed: it was planned for {date}; the new day is not known yet."),
                date=long_date(election.election_day, ctx.language),
            )
        )
    elif election.election_day is None:
        lines.append(plain(ctx._("The election day has not been announced yet.")))
        lines.append(
            fmt(
                ctx._(
                    "By law the voter roll must be published {days} days before election day "
                    "(Election Law Art. 28); watch for it."
                ),
                days=str(ROLL_DAYS_BEFORE),
            )
        )
    else:
        lines += milestone_lines(ctx, election, today)
    return join(lines)


async def elections_reply(ctx: Ctx, code: str | None) -> Reply:
    code = code or remembered_area(ctx)
    if code is None:
        ctx.state = ctx.state.at(ASK)
        return Reply.of(ctx._(ASK_PLACE))
    area = await get_area(ctx.unit.session, code)
    if area is None:
        return Reply.of(ctx._("I do not know that place any more. Type /area to start again."))
    remember_area(ctx, area.code)
    items = await elections_in_area(ctx.unit.session, area.code, area.level, limit=SHOWN + 1)
    if not items:
        pointer = await county_pointer(ctx, area)
        if pointer is not None:
            return Reply.of(
                join([fmt(ctx._("No election is recorded for {area}."), area=area.name),
                      pointer[0]]),
                [[pointer[1]], [Button(ctx._("Choose another place"), "menu:area")]],
            )  # fmt: skip
        return Reply.of(
            fmt(ctx._("No election is recorded for {area}."), area=area.name),
            [[Button(ctx._("Choose another place"), "menu:area")]],
        )
    today = policy(ctx).today()
    blocks = [fmt(ctx._("Elections in {area}:"), area=area.name)]
    blocks += [election_block(ctx, e, today) for e in items[:SHOWN]]
    if len(items) > SHOWN:
        blocks.append(
            plain(
                ctx._(
                    "More elections are held inside this area: choose a smaller place with /area."
                )
            )
        )
    buttons = [[Button(area.name, f"area:{area.code}")]]
    if any(e.election_day is None for e in items[:SHOWN]):
        buttons.insert(0, alerts.offer(ctx, area.code))
    return Reply.of(join(blocks, "\n\n"), buttons)


async def elections_for_text(ctx: Ctx, query: str) -> Reply:
    found = await search_areas(ctx.unit.session, query, limit=2)
    if len(found) == 1:
        return await elections_reply(ctx, found[0].code)
    return await find_area(ctx, query, action="el")


@router.command("elections", "dates", description=DESCRIPTIONS["elections"])
async def elections_command(ctx: Ctx) -> Reply:
    query = command_args(ctx)
    if query:
        return await elections_for_text(ctx, query)
    return await elections_reply(ctx, None)


@router.step(ASK)
async def elections_answer(ctx: Ctx) -> Reply:
    ctx.state = ctx.state.at(None)
    return await elections_for_text(ctx, message_text(ctx))


@router.action("el")
async def elections_button(ctx: Ctx) -> Reply:
    return await elections_reply(ctx, action_arg(ctx))
