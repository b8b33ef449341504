"""What the core needs from storage, as protocols storage satisfies without importing us."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from bot.core.pacing import Rate


class Stored(Protocol):
    """What ``Unit.begin_event`` reads for an event."""

    @property
    def language(self) -> str | None:
        """The user's chosen language, if any."""

    @property
    def step(self) -> str | None:
        """The conversation's step; None (and empty ``data``) when it has none or ended."""

    @property
    def data(self) -> dict[str, Any]: ...


class Unit(Protocol):
    """One database transaction around one event.

    Leaving the context manager normally commits; an exception rolls back, so a
    failing handler leaves nothing half-written.
    """

    async def begin_event(
        self,
        *,
        event: str,
        conversation: str,
        user: str,
        state_ttl: timedelta,
    ) -> Stored | None:
        """Start handling an event, in as few round trips as the database allows (it is
        on every event's path): hold ``conversation`` for this transaction (other
        workers wait; no row is written for it), record ``event`` as handled, and read
        the ``user``'s language and the conversation's state. State untouched for
        longer than its ttl has ended. None if the event was handled before (a
        redelivery)."""

    async def save_conversation(self, key: str, step: str | None, data: dict[str, Any]) -> None:
        """Store the state; an idle state (no step, no data) deletes the row."""

    async def save_language(self, user: str, language: str) -> None: ...

    async def forget(self, conversation: str, user: str) -> None:
        """Delete the conversation's state and the user's language preference."""

    async def keep_replies(self, event: str, sealed: str) -> None:
        """Keep an event's sealed replies until ``forget_replies``, in this transaction."""

    async def kept_replies(self, event: str) -> str | None:
        """The sealed replies kept for an event handled before, if not yet forgotten."""

    async def forget_replies(self, events: Sequence[str]) -> None: ...


U_co = TypeVar("U_co", bound=Unit, covariant=True)


class UnitFactory(Protocol[U_co]):
    def __call__(self) -> AbstractAsyncContextManager[U_co]: ...


class CursorStore(Protocol):
    """Where adapters keep their place in a platform's stream across restarts."""

    async def load(self, platform: str, name: str) -> str | None: ...

    async def save(self, platform: str, name: str, value: str) -> None: ...


class Ephemeral(Protocol):
    """Values that must never reach a disk and die when their time is up: random
    secrets, sealed drafts, counters (``bot.core.ephemeral``). ``ttl`` is in seconds."""

    async def secret(self, name: str, ttl: float, *, create: bool = True) -> bytes | None:
        """The random secret called ``name``, made now if missing (unless not
        ``create``); it lives ``ttl`` seconds from when it was made."""

    async def get(self, key: str) -> bytes | None: ...

    async def put(self, key: str, value: bytes, ttl: float) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def incr(self, key: str, ttl: float) -> int:
        """Add one to the counter ``key`` and return it; a new counter lives ``ttl``."""


#: Called after a private flow has ended, to wipe what its events left in the
#: database's files (SQLite's write-ahead log).
Scrub = Callable[[], Awaitable[None]]


class RateBudget(Protocol):
    """Turns to send under a platform's rate limits (``bot.core.pacing``): in this
    process's memory for one worker, or in a store every worker shares."""

    async def reserve(
        self, pace: Rate, *, gates: Sequence[Rate] = (), within: float | None = None
    ) -> tuple[bool, float]:
        """A turn under ``pace`` once every gate allows a send by then, reserved only
        if it comes within ``within`` seconds (no bound: None): (True, seconds until
        it), or (False, seconds after which to ask again) with nothing reserved
        (``bot.core.pacing.Turn``)."""

    async def hold(self, rate: Rate, seconds: float) -> None:
        """No send under ``rate`` for ``seconds`` (a platform's "retry after")."""

    async def close(self) -> None: ...
