"""Alerts about election dates: a chat subscribes to a place (/elections offers it while
the day is unknown), /alerts lists and removes subscriptions, and a moderator's /setdate
tells every subscriber through the outbox."""

from __future__ import annotations

from bot.core.i18n import N_
from bot.core.markup import fmt, join, plain
from bot.core.replies import Button, Reply
from handlers.base import EXPIRED, Ctx, action_arg, new_router
from handlers.labels import ELECTION_STATUSES, label, long_date
from handlers.start import DESCRIPTIONS
from storage.areas import get_area
from storage.models import Election
from storage.outbox import enqueue
from storage.subscriptions import areas_of, subscribe, subscribers_for, unsubscribe

router = new_router()

ALERT = N_("Election news for {area}: election day {date} ({status}). See /elections.")


def offer(ctx: Ctx, area_code: str) -> list[Button]:
    return [Button(ctx._("Tell me when the date is announced"), f"alert:{area_code}")]


@router.action("alert")
async def subscribe_button(ctx: Ctx) -> Reply:
    area = await get_area(ctx.unit.session, action_arg(ctx))
    if area is None:
        return Reply.of(ctx._(EXPIRED))
    chat = ctx.event.chat
    await subscribe(ctx.unit.session, chat.platform, chat.id, area.code, ctx.language)
    promise = ctx._("I will tell you here when {area}'s election date is announced or changes.")
    kept = ctx._("To do so I keep this chat's id with the place until you stop it with /alerts.")
    return Reply.of(join([fmt(promise, area=area.name), plain(kept)]))


@router.command("alerts", description=DESCRIPTIONS["alerts"])
async def alerts_command(ctx: Ctx) -> Reply:
    chat = ctx.event.chat
    followed = await areas_of(ctx.unit.session, chat.platform, chat.id)
    if not followed:
        return Reply.of(ctx._("You follow no place. /elections offers it while a date is unknown."))
    lines = [plain(ctx._("You follow these places:"))]
    lines += [plain(f"• {name}") for _, name in followed]
    rows = [
        [Button(fmt(ctx._("Stop: {area}"), area=name).plain, f"unalert:{code}")]
        for code, name in followed
    ]
    return Reply.of(join(lines), rows)


@router.action("unalert")
async def unsubscribe_button(ctx: Ctx) -> Reply:
    chat = ctx.event.chat
    await unsubscribe(ctx.unit.session, chat.platform, chat.id, action_arg(ctx))
    return Reply.of(ctx._("Stopped. This chat's id is no longer kept for that place."))


async def tell_subscribers(ctx: Ctx, election: Election) -> int:
    """Queue an alert for everyone following the election's place; returns how many."""
    area = await get_area(ctx.unit.session, election.area_code)
    subscribers = await subscribers_for(ctx.unit.session, election.area_code)
    for subscriber in subscribers:
        _ = ctx.catalogs.gettext(subscriber.language)
        day = election.election_day
        text = fmt(
            _(ALERT),
            area=area.name if area else election.area_code,
            date=long_date(day, subscriber.language) if day else _("not announced yet"),
            status=label(ELECTION_STATUSES, election.status, _),
        )
        await enqueue(
            ctx.unit.session, subscriber.platform, subscriber.chat_id, Reply.of(text).to_json()
        )
    return len(subscribers)
