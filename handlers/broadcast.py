"""An operator's message to everyone who follows a place (``candibot broadcast``): each
chat that follows the area or a place inside it hears it once, in the outbox's lowest
priority, so it never delays an answer. The text is the operator's, as written; the bot
adds only a line, in the subscriber's language, saying who sends it and why they get
it, and how to stop."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import N_, Catalogs
from bot.core.markup import bold, fmt, join, plain
from bot.core.replies import Reply
from storage.models import OutboxKind
from storage.outbox import enqueue
from storage.subscriptions import Subscriber, subscribers_within

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
    subscribers: list[Subscriber]

    def by_platform(self) -> dict[str, int]:
        return dict(sorted(Counter(s.platform for s in self.subscribers).items()))


async def recipients(
    session: AsyncSession, area_code: str, language: str | None = None
) -> Recipients:
    return Recipients(await subscribers_within(session, area_code, language))


async def queue_broadcast(
    session: AsyncSession,
    catalogs: Catalogs,
    who: Recipients,
    area_name: str,
    text: str,
) -> int:
    """Queue one message per chat in the caller's transaction; returns how many."""
    bodies: dict[str, dict[str, object]] = {}
    for subscriber in who.subscribers:
        language = catalogs.choose(subscriber.language)
        if language not in bodies:
            bodies[language] = compose(catalogs, language, area_name, text).to_json()
        await enqueue(session, subscriber.platform, subscriber.chat_id, bodies[language],
                      OutboxKind.broadcast)  # fmt: skip
    return len(who.subscribers)
