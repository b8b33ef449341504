"""A chore the running bot repeats at an interval, until stopped."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

log = logging.getLogger(__name__)


class Every:
    """Runs ``job`` at start (if ``at_start``), then every ``interval``.

    A failing run is logged by its exception's type only (its message may quote data)
    and the schedule goes on. Stopping waits for a run in progress rather than
    cancelling it: a database call cut off halfway would leave its connection (and
    SQLite's thread) behind.
    """

    def __init__(
        self,
        name: str,
        interval: timedelta,
        job: Callable[[], Awaitable[object]],
        *,
        at_start: bool = True,
    ) -> None:
        self.name = name
        self.interval = interval
        self._job = job
        self._at_start = at_start
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._at_start:
            await self.run_once()
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    async def run_once(self) -> None:
        try:
            result = await self._job()
            log.info("%s: %s", self.name, result)
        except Exception as exc:  # keep the schedule alive; say what failed
            log.error("%s failed: %s", self.name, type(exc).__name__)

    async def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                await asyncio.wait_for(self._stop.wait(), self.interval.total_seconds())
            except TimeoutError:
                await self.run_once()
