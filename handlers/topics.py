"""/topics: which candidates of an area speak to a topic (housing, elderly care, ...)."""

from __future__ import annotations

from bot.core.markup import Text, fmt, join, plain
from bot.core.replies import Button, Reply
from handlers.areas import (
    ASK_PLACE,
    candidate_buttons,
    candidate_line,
    find_area,
    paging,
    remember_area,
    remembered_area,
)
from handlers.base import EXPIRED, Ctx, action_arg, command_args, message_text, new_router, number
from handlers.labels import TOPICS, label
from handlers.policy import QUIET_NOTE, policy
from handlers.start import DESCRIPTIONS
from storage.areas import get_area, search_areas
from storage.elections import candidates_with_topic, topics_in_area
from storage.models import Topic

router = new_router()

ASK = "topics.ask"
PER_PAGE = 8


async def topic_menu(ctx: Ctx, code: str | None) -> Reply:
    code = code or remembered_area(ctx)
    if code is None:
        ctx.state = ctx.state.at(ASK)
        return Reply.of(ctx._(ASK_PLACE))
    area = await get_area(ctx.unit.session, code)
    if area is None:
        return Reply.of(ctx._(EXPIRED))
    remember_area(ctx, area.code)
    # Only topics some candidate here speaks to, with how many do.
    spoken = await topics_in_area(ctx.unit.session, area.code, area.level)
    if not spoken:
        return Reply.of(
            fmt(ctx._("No candidate in {area} has a published platform yet."), area=area.name),
            [[Button(ctx._("Choose another place"), "menu:area")]],
        )
    buttons = [
        Button(f"{label(TOPICS, t, ctx._)} ({spoken[t.value]})", f"tpc:{t.value}")
        for t in Topic
        if t.value in spoken
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return Reply.of(fmt(ctx._("Which topic matters to you in {area}?"), area=area.name), rows)


async def topic_candidates(ctx: Ctx, topic: str, offset: int) -> Reply:
    code = remembered_area(ctx)
    area = await get_area(ctx.unit.session, code) if code else None
    if area is None or topic not in Topic.__members__:
        return Reply.of(ctx._(EXPIRED))
    items, has_more = await candidates_with_topic(
        ctx.unit.session, area.code, area.level, topic, limit=PER_PAGE, offset=offset
    )
    shown = [(c, day) for c, day in items if not policy(ctx).quiet(day)]
    withheld = len(items) - len(shown)
    topic_label = label(TOPICS, topic, ctx._)
    lines: list[Text] = [
        fmt(
            ctx._("Candidates in {area} whose platform covers {topic}:"),
            area=area.name,
            topic=topic_label,
        )
    ]
    lines += [candidate_line(ctx, c, n) for n, (c, _) in enumerate(shown, 1)]
    if withheld:
        lines.append(plain(ctx._(QUIET_NOTE)))
    if not items:
        lines = [
            fmt(
                ctx._("No candidate in {area} has a published platform on {topic} yet."),
                area=area.name,
                topic=topic_label,
            )
        ]
    buttons = candidate_buttons(ctx, [c for c, _ in shown])
    total = offset + len(items) + (1 if has_more else 0)
    buttons.append(paging(ctx, f"tpc:{topic}", offset, PER_PAGE, total))
    return Reply.of(join(lines), buttons)


@router.command("topics", "topic", description=DESCRIPTIONS["topics"])
async def topics_command(ctx: Ctx) -> Reply:
    query = command_args(ctx)
    if query:
        found = await search_areas(ctx.unit.session, query, limit=2)
        if len(found) != 1:
            return await find_area(ctx, query, action="tp")
        return await topic_menu(ctx, found[0].code)
    return await topic_menu(ctx, None)


@router.step(ASK)
async def topics_answer(ctx: Ctx) -> Reply:
    ctx.state = ctx.state.at(None)
    found = await search_areas(ctx.unit.session, message_text(ctx), limit=2)
    if len(found) != 1:
        return await find_area(ctx, message_text(ctx), action="tp")
    return await topic_menu(ctx, found[0].code)


@router.action("tp")
async def topics_button(ctx: Ctx) -> Reply:
    return await topic_menu(ctx, action_arg(ctx))


@router.action("tpc")
async def topic_button(ctx: Ctx) -> Reply:
    topic, _, offset = action_arg(ctx).partition(":")
    return await topic_candidates(ctx, topic, number(offset) or 0)
