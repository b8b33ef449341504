"""/setdate: moderators record an election day, its status, or an announced milestone,
with its source. Every change is audited with what it was before. A date is checked
against the law's periods (handlers/milestones.py): what cannot be is refused, what
comes later than the law allows is recorded with a warning naming the article."""

from __future__ import annotations

import re
from datetime import date

from bot.core.i18n import N_
from bot.core.markup import Text, fmt, join
from bot.core.replies import Reply
from handlers import auditing
from handlers.areas import pick_elections, place_buttons
from handlers.base import EXPIRED, Ctx, action_arg, command_args, new_router
from handlers.labels import ELECTION_STATUSES, label, long_date
from handlers.milestones import ANNOUNCED, Breach, breaches
from handlers.policy import policy
from handlers.staff import moderator
from handlers.triggers import dates_changed
from storage.areas import AreaView, get_area, search_areas
from storage.elections import elections_in_area
from storage.models import Election, ElectionStatus

router = new_router()

USAGE = N_(
    "Use /setdate <place> <YYYY-MM-DD or unknown> [status] [source], or "
    "/setdate <place> roll|nominees|official <YYYY-MM-DD> [source]. "
    "A place is a name, a path such as 杭州市西湖区, or a division code. "
    "Statuses: expected, announced, confirmed, postponed, held."
)
MILESTONES = {
    "roll": "roll_published_on",
    "nominees": "nominees_published_on",
    "official": "official_list_published_on",
}
#: The button that picks one of several places of the same name: ``sd:<code>``; the rest
#: of the command waits in the conversation's draft under this key.
PICK = "sd"
#: What looks like a date and is not one (2026-02-30) is refused as such.
_DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")
#: A single Latin word where a status goes is a mistyped status, not a source.
_WORD = re.compile(r"[A-Za-z]+")


def _day(text: str) -> date | str | None:
    """A date, None for "unknown", or the text back when it is neither."""
    if text.lower() in ("unknown", "未知", "待定"):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return text


@router.command("setdate")
async def setdate_command(ctx: Ctx) -> Reply:
    actor = await moderator(ctx, "setdate")
    if isinstance(actor, Reply):
        return actor
    words = command_args(ctx).split()
    if len(words) < 2:
        return Reply.of(ctx._(USAGE))
    places = await search_areas(ctx.unit.session, words[0], limit=8)
    if not places:
        return Reply.of(fmt(ctx._("I found no place called “{query}”."), query=words[0]))
    if len(places) > 1:
        ctx.state = ctx.state.at(None, setdate=words[1:])
        return Reply.of(
            fmt(ctx._("“{query}” names more than one place. Which one?"), query=words[0]),
            await place_buttons(ctx, places, PICK),
        )
    return await _record(ctx, actor, places[0], words[1:])


@router.action(PICK)
async def setdate_pick(ctx: Ctx) -> Reply:
    """The place picked from those of the same name; the rest of the command was kept."""
    actor = await moderator(ctx, "setdate")
    if isinstance(actor, Reply):
        return actor
    rest = ctx.state.data.get("setdate")
    place = await get_area(ctx.unit.session, action_arg(ctx))
    if not isinstance(rest, list) or not rest or place is None:
        return Reply.of(ctx._(EXPIRED))
    ctx.state = ctx.state.fresh()
    return await _record(ctx, actor, place, [str(word) for word in rest])


def _statuses(ctx: Ctx) -> dict[str, str]:
    """Each status by its keyword and by its label in the user's language."""
    named = {value.value: value.value for value in ElectionStatus}
    named.update({ctx._(message).lower(): value for value, message in ELECTION_STATUSES.items()})
    return named


def _unknown_status(ctx: Ctx, word: str) -> Reply:
    shown = [
        fmt(ctx._("{status} ({label})"), status=value.value,
            label=label(ELECTION_STATUSES, value, ctx._))
        if label(ELECTION_STATUSES, value, ctx._) != value.value else value.value
        for value in ElectionStatus
    ]  # fmt: skip
    return Reply.of(
        fmt(
            ctx._("“{word}” is not a status. Nothing was recorded. Statuses: {statuses}."),
            word=word,
            statuses=join(shown, ctx._(", ")),
        )
    )


async def _record(ctx: Ctx, actor: str, place: AreaView, words: list[str]) -> Reply:
    """/setdate for ``place``; ``words`` are what followed the place in the command."""
    own = [e for e in await elections_in_area(ctx.unit.session, place.code, place.level)
           if e.area_code == place.code]  # fmt: skip
    upcoming, recent = pick_elections(own, policy(ctx).today())
    chosen = upcoming or recent
    if chosen is None:
        return Reply.of(fmt(ctx._("No election is recorded for {area}."), area=place.name))
    election = await ctx.unit.session.get_one(Election, chosen.id)
    milestone = MILESTONES.get(words[0].lower())
    rest = words[1:] if milestone else words
    day = _day(rest[0]) if rest else "missing"
    if isinstance(day, str) and _DATE_SHAPE.fullmatch(day):
        return Reply.of(fmt(ctx._("“{date}” is not a real date. Nothing was recorded."), date=day))
    if isinstance(day, str) or (milestone and day is None):
        return Reply.of(ctx._(USAGE))
    rest = rest[1:]
    status: str | None = None
    if not milestone and rest:
        status = _statuses(ctx).get(rest[0].lower())
        if status is None and _WORD.fullmatch(rest[0]):
            return _unknown_status(ctx, rest[0])
        if status is not None:
            rest = rest[1:]
    announced = {column: getattr(election, column) for column in ANNOUNCED}
    new_day = election.election_day if milestone else day
    if milestone:
        announced[milestone] = day
    impossible = _after_election_day(ctx, new_day, announced)
    if impossible is not None:
        return impossible
    before = {
        "election_day": str(election.election_day), "status": election.status,
        "source": election.source,
    }  # fmt: skip
    notes: list[Text] = []
    if milestone:
        before[milestone] = str(getattr(election, milestone))
        setattr(election, milestone, day)
    else:
        if status is None and day is None:
            status = ElectionStatus.expected
        elif status is None and _reopens(ctx, election, day):
            status = ElectionStatus.announced
            notes.append(
                fmt(
                    ctx._(
                        "The status was “{old}”; the new day is still to come, so it is now "
                        "“{new}”. Give a status after the date to choose another."
                    ),
                    old=label(ELECTION_STATUSES, election.status, ctx._),
                    new=label(ELECTION_STATUSES, status, ctx._),
                )
            )
        election.election_day = day
        if status is not None:
            election.status = status
    if rest:
        election.source = " ".join(rest)
    election.updated_at = policy(ctx).clock()
    after = {"election_day": str(election.election_day), "status": election.status,
             "source": election.source}  # fmt: skip
    if milestone:
        after[milestone] = str(day)
    await auditing.record(ctx, actor, "set_date", "election", election.id,
                          before=before, after=after)  # fmt: skip
    await dates_changed(ctx, election.id, (milestone,) if milestone else ("election_day", "status"))
    shown = long_date(day, ctx.language) if day else ctx._("not announced yet")
    lines = [
        fmt(
            ctx._("Recorded for {area}: {what} {date} ({status}); source: {source}."),
            area=place.name,
            what=ctx._("milestone") if milestone else ctx._("election day"),
            date=shown,
            status=label(ELECTION_STATUSES, election.status, ctx._),
            source=election.source or ctx._("not given"),
        ),
        *notes,
    ]
    if election.election_day is not None:
        lines += [_warning(ctx, breach) for breach in breaches(election.election_day, announced)]
    return Reply.of(join(lines))


def _after_election_day(
    ctx: Ctx, day: date | None, announced: dict[str, date | None]
) -> Reply | None:
    """The refusal when a milestone would come after election day: that cannot be."""
    for column, published in announced.items():
        if day is not None and published is not None and published > day:
            return Reply.of(
                fmt(
                    ctx._(
                        "“{milestone}” on {date} would come after election day, {day}: "
                        "that cannot be. Nothing was recorded."
                    ),
                    milestone=ctx._(ANNOUNCED[column][0]),
                    date=long_date(published, ctx.language),
                    day=long_date(day, ctx.language),
                )
            )
    return None


def _reopens(ctx: Ctx, election: Election, day: date | None) -> bool:
    """A new day still to come for an election recorded as held: it is announced."""
    return (
        day is not None
        and day != election.election_day
        and day > policy(ctx).today()
        and election.status == ElectionStatus.held
    )


def _warning(ctx: Ctx, breach: Breach) -> Text:
    values = {
        key: long_date(value, ctx.language) if isinstance(value, date)
        else ctx._(str(value)) if key == "milestone" else str(value)
        for key, value in breach.values.items()
    }  # fmt: skip
    return fmt(
        ctx._("Warning, {article}: {problem}"),
        article=ctx._(breach.article),
        problem=fmt(ctx._(breach.what), **values),
    )
