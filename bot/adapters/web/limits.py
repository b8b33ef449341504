"""Budgets a minute, counted in the ``Ephemeral`` store: one per session, one for
everyone together, and one for new sessions. A new session costs nothing to ask for
and the core's per-sender limit starts afresh with it, so the new-session budget is
what bounds how many sessions memory holds at once (it times the minutes a session
lives). Photos have one too: a report's draft keeps its photos (re-encoded, up to
some 7 MB each once sealed) in memory for up to an hour. The core's own per-sender
limit still applies behind them."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.core.ports import Ephemeral

WINDOW = 60.0


class WebLimits:
    def __init__(
        self,
        store: Ephemeral,
        *,
        per_session: int,
        globally: int,
        new_sessions: int,
        photos: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._per_session = per_session
        self._globally = globally
        self._new_sessions = new_sessions
        self._photos = photos
        self._clock = clock

    async def _within(self, name: str, limit: int) -> bool:
        window = int(self._clock() // WINDOW)
        return await self._store.incr(f"web:rate:{name}:{window}", 2 * WINDOW) <= limit

    async def globally(self) -> bool:
        """One more request or new session of anyone; False once the minute's budget is spent."""
        return await self._within("all", self._globally)

    async def new_session(self) -> bool:
        """One more new session; False once the minute's budget (or everyone's) is spent."""
        return await self.globally() and await self._within("new", self._new_sessions)

    async def photo(self) -> bool:
        """One more photo of anyone; False once the minute's budget is spent."""
        return await self._within("photo", self._photos)

    async def for_session(self, chat_id: str) -> bool:
        """One more message or press of the session known to the core as ``chat_id``."""
        return await self._within(f"chat:{chat_id}", self._per_session)
