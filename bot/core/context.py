"""What a handler gets for one event, and what it may return."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bot.core import redaction
from bot.core.capabilities import EVERYTHING, Capabilities
from bot.core.events import Event
from bot.core.i18n import Catalogs, Gettext
from bot.core.ports import Ephemeral
from bot.core.replies import Reply
from bot.core.state import IDLE, ConversationState

U = TypeVar("U")

Replies = Reply | Sequence[Reply] | None


@dataclass
class Context(Generic[U]):
    """One event being handled, inside one database transaction.

    ``unit`` is the storage unit of work (typed by the handlers, opaque here).
    ``user`` is the keyed pseudonym of the sender, never the raw platform id.
    ``config`` is whatever the composition root gave the dispatcher for handlers.
    A handler moves the conversation on by assigning ``state``.
    """

    event: Event
    user: str
    language: str
    unit: U
    catalogs: Catalogs
    #: The handlers' own settings, handed through the core untouched.
    config: object = None
    #: A pseudonym of the sender that changes every day, under a random secret that
    #: dies with the day: for counters that must join nothing on disk.
    daily_sender: str = ""
    #: The state as it was loaded, before any handler changed it.
    previous: ConversationState = IDLE
    state: ConversationState = IDLE
    #: Where counters and other values that must never reach a disk are kept.
    ephemeral: Ephemeral | None = None
    #: What the router's preparer for this event computed before the transaction.
    prepared: object = None
    #: What the event's platform can do and may be used for.
    capabilities: Capabilities = EVERYTHING
    language_changed: bool = field(default=False, init=False)
    #: Something secret was handled (``protect``): the replies never reach a disk.
    sensitive: bool = field(default=False, init=False)
    #: The sender asked to be forgotten (``forget_sender``).
    forgetting: bool = field(default=False, init=False)

    def protect(self, *values: str | None) -> None:
        """Keep ``values`` (a receipt, a report's text) out of log lines from here on, and
        this event's replies off the disk."""
        redaction.protect(*values)
        self.sensitive = True

    def forget_sender(self) -> None:
        """The sender asked to be forgotten: when the event commits, the core deletes what
        it keeps for them (this conversation's state and drafts, their language choice)
        and saves neither again; the replies stay off the disk."""
        self.forgetting = True
        self.sensitive = True

    def _(self, message: str) -> str:
        return self.gettext(message)

    @property
    def gettext(self) -> Gettext:
        return self.catalogs.gettext(self.language)

    def set_language(self, language: str) -> None:
        self.language = self.catalogs.choose(language)
        self.language_changed = True


@dataclass(frozen=True, slots=True)
class Prep:
    """What a preparer (``Router.before``) sees: no transaction, no state but the step
    of a private flow in progress."""

    event: Event
    step: str | None
    config: object
    sender_tag: str
    ephemeral: Ephemeral


def as_list(replies: Replies) -> list[Reply]:
    if replies is None:
        return []
    if isinstance(replies, Reply):
        return [replies]
    return list(replies)
