"""A per-sender rate limit on every event, counted under the day's ephemeral pseudonym.

One hostile sender must not stall everyone else: events over the limit are answered
once with a friendly "slow down" and then dropped before they reach the database or a
handler. Counters live in the ``Ephemeral`` store, so they join nothing on disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from bot.core.i18n import N_
from bot.core.ports import Ephemeral

SLOW_DOWN = N_(
    "You are sending messages faster than I can answer. Please wait a minute, then try again."
)


@dataclass(frozen=True, slots=True)
class Limits:
    """Events one sender may send: in any 10 seconds, and in any minute (fixed windows)."""

    burst: int = 12
    per_minute: int = 40


class Verdict(Enum):
    ALLOW = "allow"
    #: The first event over a limit: answer it with ``SLOW_DOWN``.
    WARN = "warn"
    #: Later events over the limit: drop them without a word.
    DROP = "drop"


class RateLimiter:
    def __init__(self, store: Ephemeral, limits: Limits) -> None:
        self._store = store
        self._limits = limits

    async def check(self, sender_tag: str, now: datetime) -> Verdict:
        seconds = now.timestamp()
        windows = ((10, self._limits.burst), (60, self._limits.per_minute))
        worst = Verdict.ALLOW
        for length, limit in windows:
            count = await self._store.incr(
                f"rate:{length}:{sender_tag}:{int(seconds // length)}", 2 * length
            )
            if count == limit + 1 and worst is Verdict.ALLOW:
                worst = Verdict.WARN
            elif count > limit + 1:
                worst = Verdict.DROP
        return worst
