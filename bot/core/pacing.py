"""Pacing sends under a platform's rate limits: the generic cell rate algorithm (GCRA).

Each limit is a ``Rate`` under a key: one send every ``interval`` seconds, ``burst`` of
them back to back. Its state is one number, the theoretical arrival time (TAT) of the
next send; a send is allowed once the clock reaches ``TAT - tolerance``, and moves the
TAT on by one interval. A ``RateBudget`` (``bot.core.ports``) hands out turns under
such rates: ``LocalBudget`` in this process's memory, for one worker; a shared store
(``storage.rate_budget_redis``) for several.

A turn is asked for under one pacing rate (the bot's overall limit) and any number of
gates (the chat's limit). It is reserved, ahead of time, only when every gate lets a
send through by the pacing rate's turn: were it reserved at a gate's later time, the
pacing rate's TAT would jump there and every other chat would wait. ``within`` bounds
how far ahead a turn may be reserved: bulk senders (the outbox) ask for turns only a
couple of intervals away, so a reply, which asks without a bound, never queues behind
more than those.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

#: Keys idle this long (in seconds past their TAT) hold no state worth keeping.
FORGET_AFTER = 300.0
#: Local keys kept before idle ones are swept.
SWEEP_ABOVE = 10_000
#: The shortest pause before asking a budget again, so that a refusal never spins.
MIN_RETRY = 0.002


@dataclass(frozen=True, slots=True)
class Rate:
    """One send every ``interval`` seconds under ``key``, up to ``burst`` back to back."""

    key: str
    interval: float
    burst: int = 1

    @property
    def tolerance(self) -> float:
        """How far ahead of its TAT a send may go: the burst less the send itself."""
        return (self.burst - 1) * self.interval


class Turn(NamedTuple):
    """A budget's answer. ``granted``: a turn is reserved, ``wait`` seconds from now.
    Otherwise nothing was reserved; ask again in ``wait`` seconds."""

    granted: bool
    wait: float


def decide(
    now: float,
    pace: tuple[Rate, float],
    gates: Sequence[tuple[Rate, float]],
    within: float | None,
) -> tuple[Turn, dict[str, float]]:
    """The GCRA step shared by every budget: given ``now`` and each rate's TAT (``now``
    or earlier when it has none), the answer and the TATs to store if granted."""
    rate, tat = pace
    at = max(now, tat - rate.tolerance)
    if within is not None and at - now > within:
        return Turn(False, at - now - within), {}
    for gate, gate_tat in gates:
        ready = max(now, gate_tat - gate.tolerance)
        if ready > at:
            return Turn(False, ready - now), {}
    stored = {rate.key: max(tat, at) + rate.interval}
    for gate, gate_tat in gates:
        stored[gate.key] = max(gate_tat, at) + gate.interval
    return Turn(True, at - now), stored


class LocalBudget:
    """``RateBudget`` in this process's memory: right for one worker, since nobody else
    sends with the same token."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tats: dict[str, float] = {}

    async def reserve(
        self, pace: Rate, *, gates: Sequence[Rate] = (), within: float | None = None
    ) -> Turn:
        now = self._clock()
        if len(self._tats) > SWEEP_ABOVE:
            self._sweep(now)
        turn, stored = decide(
            now,
            (pace, self._tats.get(pace.key, now)),
            [(gate, self._tats.get(gate.key, now)) for gate in gates],
            within,
        )
        self._tats.update(stored)
        return turn

    async def hold(self, rate: Rate, seconds: float) -> None:
        """No send under ``rate`` for ``seconds`` (Telegram's ``retry_after``)."""
        now = self._clock()
        until = now + seconds + rate.tolerance
        self._tats[rate.key] = max(self._tats.get(rate.key, now), until)

    async def close(self) -> None:
        """Nothing to release."""

    def _sweep(self, now: float) -> None:
        for key in [key for key, tat in self._tats.items() if tat < now - FORGET_AFTER]:
            del self._tats[key]
