"""The seam between a chat platform and the core.

An adapter is to candibot what a transport is to httpx: a handful of methods.
It turns platform updates into frozen core events, hands each to the sink and
renders the core's replies in its platform's idiom. It knows nothing of
handlers or storage.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import ClassVar

from bot.core.capabilities import Capabilities
from bot.core.events import ButtonAction, ChatRef, Event
from bot.core.metrics import NO_METRICS, Metrics
from bot.core.replies import Reply

__all__ = ["Adapter", "Capabilities", "EventSink", "Undeliverable", "failure_kind"]

#: Where an adapter delivers events. Awaiting it returns once the event has been
#: handled and its replies sent, so an adapter may confirm the update afterwards.
EventSink = Callable[[Event], Awaitable[None]]


class Undeliverable(Exception):
    """``send`` was refused for good: retrying cannot help. ``gone`` when the chat
    itself is gone for the bot (blocked, deleted, left), so nothing more should be
    sent there; ``reason`` says why, in a few words, for the operator."""

    def __init__(self, reason: str, *, gone: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.gone = gone


def failure_kind(error: BaseException) -> str:
    """A failed send's kind for the metrics: a few fixed words, never the error's text
    (which may quote a chat)."""
    if isinstance(error, Undeliverable):
        return "gone" if error.gone else "refused"
    return type(error).__name__


class Adapter(ABC):
    platform: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    #: Where the adapter counts failed sends and rate-limit waits; the composition
    #: root sets it (``bot.observability``).
    metrics: Metrics = NO_METRICS

    @abstractmethod
    async def run(self, sink: EventSink) -> None:
        """Deliver events to ``sink`` until ``stop()`` is called or the source ends."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop taking events; ``run`` returns once the event in hand is done."""

    @abstractmethod
    async def send(self, chat: ChatRef, reply: Reply) -> str | None:
        """Show ``reply`` in ``chat``; returns the platform's message id if it has one.

        Raises ``Undeliverable`` when the platform refuses for good; any other
        exception means it may work later."""

    def connected(self) -> bool:
        """In touch with the platform now, for ``/healthz``: signed in and its last
        exchange with the platform worked (a server: listening)."""
        return True

    async def acknowledge(self, action: ButtonAction) -> None:  # noqa: B027
        """Tell the platform a button press was received (Telegram shows a spinner until then)."""
