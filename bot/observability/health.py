"""``/healthz``: the database answers, each adapter is in touch with its platform, and
what waits in the outbox. Healthy (200) when the database answers and every adapter is
connected; otherwise 503. A backlog alone does not make the bot unhealthy (a broadcast
to many followers takes a while at the platforms' rates): its size and age are shown
for the operator's monitoring to judge."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.base import Adapter
from storage.health import backlog, ping

log = logging.getLogger(__name__)

#: A database that has not answered by then counts as unreachable.
DATABASE_TIMEOUT = 3.0


@dataclass(frozen=True)
class Waiting:
    platform: str
    kind: str
    waiting: int
    age_seconds: float


@dataclass(frozen=True)
class Health:
    database: bool
    #: Each adapter's platform, and whether it is connected.
    adapters: dict[str, bool]
    #: None when the database did not answer.
    backlog: tuple[Waiting, ...] | None

    @property
    def healthy(self) -> bool:
        return self.database and all(self.adapters.values())

    def body(self) -> dict[str, Any]:
        """The small JSON body of ``/healthz``."""
        outbox: dict[str, Any] | None = None
        if self.backlog is not None:
            outbox = {
                "waiting": sum(row.waiting for row in self.backlog),
                "oldest_seconds": round(max((r.age_seconds for r in self.backlog), default=0), 1),
            }
        return {
            "status": "ok" if self.healthy else "unhealthy",
            "database": "ok" if self.database else "unreachable",
            "adapters": {
                platform: "connected" if up else "disconnected"
                for platform, up in self.adapters.items()
            },
            "outbox": outbox,
        }


async def check(
    engine: AsyncEngine, adapters: Sequence[Adapter], *, timeout: float = DATABASE_TIMEOUT
) -> Health:
    connected = {adapter.platform: adapter.connected() for adapter in adapters}
    try:
        async with asyncio.timeout(timeout):
            await ping(engine)
            rows = await backlog(engine)
    except Exception as exc:  # unreachable, refused, timed out: the type says enough
        log.warning("the health check's database query failed: %s", type(exc).__name__)
        return Health(False, connected, None)
    now = datetime.now(UTC)
    waiting = tuple(
        Waiting(row.platform, row.kind, row.waiting, max((now - row.oldest).total_seconds(), 0.0))
        for row in rows
    )
    return Health(True, connected, waiting)
