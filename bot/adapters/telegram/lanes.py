"""One lane per chat: a chat's updates are handled one at a time and in order, different
chats' at the same time."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]


class Lanes:
    def __init__(self) -> None:
        self._queues: dict[str, deque[Job]] = {}
        self._running: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    def submit(self, lane: str, job: Job) -> None:
        """Queue ``job`` behind the jobs already in ``lane``."""
        queue = self._queues.get(lane)
        if queue is not None:
            queue.append(job)
            return
        self._queues[lane] = deque([job])
        self._idle.clear()
        task = asyncio.create_task(self._drain(lane))
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    async def close(self) -> None:
        """Drop the jobs not started yet and wait for the running ones to finish."""
        for lane, queue in self._queues.items():
            keep = 1 if lane in self._running else 0
            while len(queue) > keep:
                queue.pop()
        await self._idle.wait()

    async def _drain(self, lane: str) -> None:
        queue = self._queues[lane]
        try:
            while queue:
                self._running.add(lane)
                try:
                    await queue[0]()
                except Exception as exc:  # a job's failure must not stop its lane
                    log.error("handling an update failed: %s", type(exc).__name__)
                finally:
                    self._running.discard(lane)
                queue.popleft()
        finally:
            del self._queues[lane]

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self._idle.set()
