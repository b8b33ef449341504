"""Announcing new items in the moderators' room, through the outbox.

Announcements say what kind of item waits, never who sent it. They are written in
both languages, since a room is shared.
"""

from __future__ import annotations

from bot.core.i18n import N_
from bot.core.markup import fmt, join
from bot.core.replies import Reply
from handlers.base import Ctx
from handlers.policy import policy
from storage.outbox import enqueue

NEW_REPORT = N_("New report waiting ({category}). Send /queue.")
NEW_QUARANTINED = N_(
    "New report over a flood cap, waiting in quarantine ({category}). Send /queue."
)
REPORT_ANSWERED = N_("A reporter answered or added information. Send /queue.")
NEW_CLAIM = N_("A candidate claimed their profile with a code ({name}).")
NEW_UPDATE = N_("A candidate sent an update ({name}). Send /queue.")


async def announce(ctx: Ctx, message: str, **values: str) -> None:
    """Queue ``message`` (a msgid) for the moderators' room, if one is configured."""
    room = policy(ctx).moderation_room
    if room is None:
        return
    lines = []
    for language in ("zh_CN", "en"):
        _ = ctx.catalogs.gettext(language)
        lines.append(fmt(_(message), **{name: _(value) for name, value in values.items()}))
    await enqueue(ctx.unit.session, room[0], room[1], Reply.of(join(lines)).to_json())
