"""Following a place's elections: /subscribe (by name, pinyin, initials or code, or by
drilling down from the provinces), /subscriptions (also /alerts), /unsubscribe, and the
buttons /elections offers while a date is unknown. What followers are told, and when,
is ``handlers.triggers``.

A subscription keeps the chat's raw id, because the bot must write to it later; the
user is told so when subscribing, and unsubscribing deletes it."""

from __future__ import annotations

from bot.core.i18n import N_
from bot.core.markup import bold, fmt, join, plain
from bot.core.replies import Button, Reply
from handlers.areas import (
    ELECTED_LEVELS,
    drill_down,
    drill_press,
    no_place,
    place_buttons,
    place_label,
)
from handlers.base import (
    EXPIRED,
    Ctx,
    action_arg,
    command_args,
    leave_step,
    message_text,
    new_router,
)
from handlers.policy import policy
from handlers.start import DESCRIPTIONS
from storage.areas import (
    AreaView,
    get_area,
    search_areas,
)
from storage.subscriptions import areas_of, subscribe, unsubscribe

router = new_router()

ASK = "subscribe.ask"
FOLLOW = N_("Follow {area}")
#: How the privacy note names the platform whose chat id is kept.
PLATFORM_NAMES = {"telegram": "Telegram", "matrix": "Matrix", "console": N_("this terminal")}
PLACE_HINT = N_(
    "Try its name in characters (西湖区), in pinyin (xihu), initials (xhq) or its six-digit "
    "code, or send /subscribe alone to choose from a list."
)
FORGET_TOO = N_("/forget deletes them too, with everything else I keep about you.")
NONE_FOLLOWED = N_("You follow no place. Send /subscribe and the name of your district.")
UNREACHABLE = N_(
    "Alerts cannot reach this chat once you leave it. To follow a place, use the bot on "
    "Telegram or Matrix; here, /elections shows the dates whenever you ask."
)


def offer(ctx: Ctx, area_code: str) -> list[Button]:
    return [Button(ctx._("Tell me when the date is announced"), f"alert:{area_code}")]


@router.command("subscribe", description=DESCRIPTIONS["subscribe"])
async def subscribe_command(ctx: Ctx) -> Reply:
    if not ctx.capabilities.reaches_later:
        return Reply.of(ctx._(UNREACHABLE))
    query = command_args(ctx)
    if query:
        return await _subscribe_to(ctx, query)
    ctx.state = ctx.state.at(ASK)
    return await _drill(ctx, None, 0)


@router.step(ASK)
async def subscribe_answer(ctx: Ctx) -> Reply:
    ctx.state = ctx.state.at(None)
    return await _subscribe_to(ctx, message_text(ctx))


@router.action("alert")
async def subscribe_button(ctx: Ctx) -> Reply:
    area = await get_area(ctx.unit.session, action_arg(ctx))
    if area is None:
        return Reply.of(ctx._(EXPIRED))
    leave_step(ctx, ASK)
    return await _follow(ctx, area)


@router.action("subdd")
async def drill_button(ctx: Ctx) -> Reply:
    return await drill_press(ctx, pick="alert", more="subdd", pick_label=FOLLOW)


async def _subscribe_to(ctx: Ctx, query: str) -> Reply:
    session = ctx.unit.session
    by_code = await get_area(session, query.strip()) if query.strip().isdigit() else None
    found = [by_code] if by_code else await search_areas(session, query, limit=8)
    exact = [area for area in found if area.name == query.strip()]
    if len(exact) == 1:
        found = exact
    if len(found) == 1:
        return await _follow(ctx, found[0])
    if found:
        buttons = await place_buttons(ctx, found, "alert")
        return Reply.of(fmt(ctx._("Which {query} do you mean?"), query=query), buttons)
    return no_place(ctx, query, PLACE_HINT)


async def _follow(ctx: Ctx, area: AreaView) -> Reply:
    if area.name.endswith(("街道", "街道办事处")) and area.parent_code:
        # A street office has no people's congress: Art. 3 names the levels elected
        # directly, and its residents vote in the district's (or county's) election.
        county = await get_area(ctx.unit.session, area.parent_code)
        if county is not None:
            note = fmt(ctx._("{office} elects no people's congress of its own: its voters "
                             "vote in the election of {county} (Election Law Art. 3)."),
                       office=area.name, county=county.name)  # fmt: skip
            button = Button(fmt(ctx._(FOLLOW), area=county.name).plain,
                            f"alert:{county.code}")  # fmt: skip
            return Reply.of(note, [[button]])
    if area.level not in ELECTED_LEVELS:
        note = fmt(
            ctx._("Elections are held for counties and townships, not for all of {area}. "
                  "Choose one:"),
            area=area.name,
        )  # fmt: skip
        return Reply.of(note, (await _drill(ctx, area.code, 0)).buttons)
    if not ctx.capabilities.reaches_later:  # the one place a subscription is made
        return Reply.of(ctx._(UNREACHABLE))
    chat = ctx.event.chat
    session = ctx.unit.session
    followed = {code for code, _ in await areas_of(session, chat.platform, chat.id)}
    cap = policy(ctx).subscriptions_per_chat
    if area.code not in followed and len(followed) >= cap:
        return Reply.of(
            fmt(
                ctx._("You already follow {count} places, the most one chat may. "
                      "Stop one with /unsubscribe first."),
                count=str(cap),
            )
        )  # fmt: skip
    if not await subscribe(session, chat.platform, chat.id, area.code, ctx.language):
        return Reply.of(
            fmt(ctx._("You already follow {area}. /subscriptions lists what you follow."),
                area=bold(area.name))
        )  # fmt: skip
    promise = ctx._(
        "I will tell you here when {area}'s election dates are announced or change, when "
        "its candidates are added or change stage, and when their updates or incident "
        "summaries are published."
    )
    kept = ctx._(
        "To reach you I keep this chat's id on {platform}, the place and your language, and "
        "nothing else. /unsubscribe {area} stops it and deletes them."
    )
    platform = ctx._(PLATFORM_NAMES.get(chat.platform, chat.platform))
    lines = [fmt(promise, area=bold(area.name)), fmt(kept, platform=platform, area=area.name)]
    if chat.private:  # a group's places are the group's: one member's /forget keeps them
        lines.append(plain(ctx._(FORGET_TOO)))
    return Reply.of(join(lines))


async def _drill(ctx: Ctx, parent_code: str | None, offset: int) -> Reply:
    """The places under ``parent_code``, to follow or to open; the top: provinces."""
    return await drill_down(ctx, parent_code, offset, pick="alert", more="subdd", pick_label=FOLLOW)


@router.command("subscriptions", "alerts", description=DESCRIPTIONS["subscriptions"])
async def subscriptions_command(ctx: Ctx) -> Reply:
    chat = ctx.event.chat
    followed = await areas_of(ctx.unit.session, chat.platform, chat.id)
    if not followed:
        return Reply.of(ctx._(NONE_FOLLOWED))
    return await _stop_list(ctx, followed)


async def _stop_list(ctx: Ctx, followed: list[tuple[str, str]]) -> Reply:
    named = [(code, await place_label(ctx, code, depth=2) or name) for code, name in followed]
    lines = [plain(ctx._("You follow these places:"))]
    lines += [plain(f"• {name}") for _, name in named]
    rows = [
        [Button(fmt(ctx._("Stop: {area}"), area=name).plain, f"unalert:{code}")]
        for code, name in named
    ]
    return Reply.of(join(lines), rows)


@router.command("unsubscribe", description=DESCRIPTIONS["unsubscribe"])
async def unsubscribe_command(ctx: Ctx) -> Reply:
    chat = ctx.event.chat
    session = ctx.unit.session
    followed = await areas_of(session, chat.platform, chat.id)
    if not followed:
        return Reply.of(ctx._(NONE_FOLLOWED))
    query = command_args(ctx).strip()
    if not query:
        return await _stop_list(ctx, followed)
    named = {area.code for area in await search_areas(session, query, limit=50)} | {query}
    hits = [(code, name) for code, name in followed if code in named or name == query]
    if len(hits) == 1:
        await unsubscribe(session, chat.platform, chat.id, hits[0][0])
        return Reply.of(
            fmt(ctx._("Stopped: {area}. This chat's id is no longer kept for it."),
                area=await place_label(ctx, hits[0][0], depth=2) or hits[0][1])
        )  # fmt: skip
    reply = await _stop_list(ctx, hits or followed)
    if not hits:
        note = fmt(ctx._("You do not follow “{query}”."), query=query)
    else:
        note = fmt(ctx._("You follow more than one “{query}”. Which one shall I stop?"),
                   query=query)  # fmt: skip
    return Reply.of(join([note, reply.text]), reply.buttons)


@router.action("unalert")
async def unsubscribe_button(ctx: Ctx) -> Reply:
    chat = ctx.event.chat
    area = await get_area(ctx.unit.session, action_arg(ctx))
    if area is None or not await unsubscribe(ctx.unit.session, chat.platform, chat.id, area.code):
        return Reply.of(ctx._(EXPIRED))
    return Reply.of(
        fmt(ctx._("Stopped: {area}. This chat's id is no longer kept for it."),
            area=await place_label(ctx, area.code, depth=2) or area.name)
    )  # fmt: skip
