"""Announcing new items in the moderators' room, and escalations to the administrators,
through the outbox.

Announcements never say who sent an item. Reports are not announced one by one: the
room's server would see when each arrived, to the second, and could match that to a
reporter's traffic. They are counted in a digest sent at an interval (``digest``),
with no kind and no time. Everything is written in both languages, since a room is
shared.
"""

from __future__ import annotations

from enum import StrEnum

from bot.core.i18n import N_, Catalogs
from bot.core.markup import fmt, join
from bot.core.replies import Reply
from handlers.base import Ctx
from handlers.policy import policy
from storage.digest import ReportNews
from storage.outbox import enqueue
from storage.roles import administrators

DIGEST = N_(
    "Since the last digest: new reports: {new}; in quarantine: {quarantined}; answers "
    "from reporters: {answered}. Send /queue."
)
NEW_CLAIM = N_("A candidate claimed their profile with a code ({name}).")
NEW_UPDATE = N_("A candidate sent an update ({name}). Send /queue.")
#: Says nothing of the report: the room's server and members learn only that one was
#: escalated, and the administrators find it first in /queue.
ESCALATED = N_(
    "A moderator escalated a report to the administrators. Administrators: send /queue "
    "in a private chat with the bot."
)


class Told(StrEnum):
    """Where an escalation reached the administrators."""

    room = "room"
    privately = "privately"
    nobody = "nobody"
    no_administrator = "no_administrator"


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


def bilingual(catalogs: Catalogs, message: str, **values: str) -> Reply:
    """``message`` (a msgid) in Chinese, then English, for a room both read; ``values``
    are put in as they are."""
    lines = [fmt(catalogs.gettext(language)(message), **values) for language in ("zh_CN", "en")]
    return Reply.of(join(lines))


def digest(catalogs: Catalogs, news: ReportNews) -> Reply:
    """The digest of report news, in Chinese, then English."""
    counts = {"new": news.new, "quarantined": news.quarantined, "answered": news.answered}
    return bilingual(catalogs, DIGEST, **{k: str(v) for k, v in counts.items()})


async def to_administrators(ctx: Ctx, message: str, *, actor: str) -> Told:
    """Queue ``message`` (a msgid) for the administrators: in the moderators' room if there
    is one, else in each administrator's private chat with the bot (the one they last
    used a staff command in), leaving out ``actor``."""
    admins = await administrators(ctx.unit.session)
    if not admins:
        return Told.no_administrator
    reply = bilingual(ctx.catalogs, message)
    room = policy(ctx).moderation_room
    if room is not None:
        await enqueue(ctx.unit.session, room[0], room[1], reply.to_json())
        return Told.room
    told = Told.nobody
    for member in admins:
        if member.chat_id and f"{member.platform}:{member.user_id}" != actor:
            await enqueue(ctx.unit.session, member.platform, member.chat_id, reply.to_json())
            told = Told.privately
    return told
