"""An operator's message to everyone who follows a place (``candibot broadcast``): each
chat that follows the area or a place inside it hears it once, in the outbox's lowest
priority, so it never delays an answer. The text is the operator's, as written; the bot
adds only a line, in the subscriber's language, saying who sends it and why they get
it, and how to stop."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import N_, Catalogs
from bot.core.markup import bold, fmt, join, plain
from bot.core.replies import Reply
from storage.models import OutboxKind
from storage.outbox import queue_for_followers
from storage.subscriptions import chats_by_platform, following_within, languages

HEADING = N_("A message from candibot's operators to everyone who follows {area}:")
FOOTER = N_("You get this because you follow this area or a place in it. /unsubscribe stops it.")


def compose(catalogs: Catalogs, language: str, area_name: str, text: str) -> Reply:
    """The broadcast as a subscriber using ``language`` sees it."""
    _ = catalogs.gettext(language)
    return Reply.of(
        join([fmt(_(HEADING), area=bold(area_name)), plain(text), plain(_(FOOTER))], "\n\n")
    )


@dataclass(frozen=True, slots=True)
class Recipients:
    """Who a broadcast reaches: the area, the language asked for, and how many chats on
    each platform."""

    area_code: str
    language: str | None
    platforms: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.platforms.values())

    def by_platform(self) -> dict[str, int]:
        return dict(sorted(self.platforms.items()))


async def recipients(
    session: AsyncSession, area_code: str, language: str | None = None
) -> Recipients:
    where = following_within(area_code, language)
    return Recipients(area_code, language, await chats_by_platform(session, where))


async def queue_broadcast(
    session: AsyncSession,
    catalogs: Catalogs,
    who: Recipients,
    area_name: str,
    text: str,
) -> int:
    """Queue one message per chat in the caller's transaction (one statement, however
    many chats); returns how many."""
    where = following_within(who.area_code, who.language)
    bodies = {
        stored: compose(catalogs, catalogs.choose(stored), area_name, text).to_json()
        for stored in await languages(session, where)
    }
    return await queue_for_followers(session, where, bodies, OutboxKind.broadcast)
