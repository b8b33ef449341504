"""What the core needs from storage, as protocols storage satisfies without importing us."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any, Protocol, TypeVar


class Unit(Protocol):
    """One database transaction around one event.

    Leaving the context manager normally commits; an exception rolls back, so a
    failing handler leaves nothing half-written.
    """

    async def lock_conversation(self, key: str) -> None:
        """Hold the conversation for this transaction, so other workers wait for us.

        Must leave no trace in the database (no row written).
        """

    async def claim_event(self, key: str) -> bool:
        """Record that the event was handled; False if it already was (a redelivery)."""

    async def load_conversation(
        self, key: str, user: str, ttl: timedelta
    ) -> tuple[str | None, str | None, dict[str, Any]]:
        """The user's language preference and the conversation's step and data, in one
        round trip: ``(language or None, step, data)``; ``(.., None, {})`` when there is
        no conversation or it is older than ``ttl``."""

    async def save_conversation(self, key: str, step: str | None, data: dict[str, Any]) -> None:
        """Store the state; an idle state (no step, no data) deletes the row."""

    async def load_private(self, keys: Sequence[str], ttl: timedelta) -> tuple[str, str] | None:
        """The first of ``keys`` holding a sealed private flow younger than ``ttl``:
        ``(key, sealed)``, or None."""

    async def save_private(self, key: str, sealed: str | None) -> None:
        """Store a sealed private flow; None deletes it."""

    async def save_language(self, user: str, language: str) -> None: ...


U_co = TypeVar("U_co", bound=Unit, covariant=True)


class UnitFactory(Protocol[U_co]):
    def __call__(self) -> AbstractAsyncContextManager[U_co]: ...


class CursorStore(Protocol):
    """Where adapters keep their place in a platform's stream across restarts."""

    async def load(self, platform: str, name: str) -> str | None: ...

    async def save(self, platform: str, name: str, value: str) -> None: ...
