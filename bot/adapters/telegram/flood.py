"""Flood control: Telegram's rate limits, its 429s and transient failures, per chat.

Every message takes a turn from the rate budget (``bot.core.pacing``): the bot's
overall rate (thirty a second, no burst) paces it, and its chat's rate (one a second
with a small burst in a private chat, twenty a minute in a group) must let it through
by then. With several workers the budget is shared (Redis), so together they keep the
limits. Messages from the outbox (``bulk``) take turns at most ``bulk_ahead`` sends
ahead of the clock, one asker at a time per process, so that a reply, which takes the
next free turn however far off, only ever waits behind those few.

A 429 holds only the chat it was about, for the ``retry_after`` Telegram gave (in the
shared budget: for every worker), and the message is sent again; 5xx answers and
network errors are retried with exponential backoff. Waiting happens in the caller's
task, so one chat's trouble never holds up another's replies.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import random
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from telegram.error import BadRequest, NetworkError, RetryAfter

from bot.core.pacing import MIN_RETRY, LocalBudget, Rate
from bot.core.ports import RateBudget

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The key of the bot's overall rate in its budget.
OVERALL = "all"


@dataclass(frozen=True, slots=True)
class Limits:
    global_per_second: float = 30.0
    chat_per_second: float = 1.0
    group_per_minute: float = 20.0
    #: Messages a chat may get back to back before its rate applies.
    burst: int = 3
    #: Turns ahead of the clock an outbox message may reserve (replies: any).
    bulk_ahead: float = 2.0
    #: How long transient failures are retried before the call gives up.
    retry_seconds: float = 60.0
    first_backoff: float = 0.5
    max_backoff: float = 15.0


class FloodControl:
    def __init__(
        self,
        limits: Limits | None = None,
        budget: RateBudget | None = None,
        *,
        salt: bytes = b"",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        """``salt`` keys the hashes that name chats in the budget (the bot's token: a
        shared store then learns no chat id)."""
        self.limits = limits = limits or Limits()
        self.budget: RateBudget = budget or LocalBudget(clock)
        self._salt = salt
        self._clock, self._sleep = clock, sleep
        self._overall = Rate(OVERALL, 1.0 / limits.global_per_second)
        self._bulk = asyncio.Lock()

    async def send(
        self, chat: str, group: bool, call: Callable[[], Awaitable[T]], *, bulk: bool = False
    ) -> T:
        """Make ``call`` (one message to ``chat``) within the limits, retrying as needed;
        ``bulk``: from the outbox, so behind any reply."""
        return await self._attempts(call, (self._chat_rate(chat, group), bulk))

    async def call(self, call: Callable[[], Awaitable[T]]) -> T:
        """Make a call that sends no message (a file, a callback answer), retrying as needed."""
        return await self._attempts(call, None)

    async def _attempts(self, call: Callable[[], Awaitable[T]], to: tuple[Rate, bool] | None) -> T:
        deadline = self._clock() + self.limits.retry_seconds
        backoff = self.limits.first_backoff
        while True:
            if to is not None:
                await self._take_turn(*to)
            try:
                return await call()
            except RetryAfter as exc:
                wait = retry_after_seconds(exc)
                log.warning("Telegram asked the bot to wait %.0f s (429)", wait)
                if to is None:
                    await self._sleep(wait)
                else:
                    await self.budget.hold(to[0], wait)
            except BadRequest:
                raise
            except NetworkError as exc:  # 5xx answers, timeouts, broken connections
                if self._clock() + backoff > deadline:
                    raise
                log.warning("a Bot API call failed (%s); retrying", type(exc).__name__)
                await self._sleep(backoff * random.uniform(0.5, 1.0))
                backoff = min(backoff * 2, self.limits.max_backoff)

    async def _take_turn(self, chat: Rate, bulk: bool) -> None:
        within = self.limits.bulk_ahead * self._overall.interval if bulk else None
        while True:
            if within is None:
                granted, turn = await self._ask(chat, None)
            else:
                # One bulk asker at a time in this process, so that the others do not
                # poll the budget too; a short refusal (the next turn is a send or two
                # off) is waited out holding the place, a long one (a chat on hold,
                # replies queued) outside it.
                async with self._bulk:
                    granted, turn = await self._ask_bulk(chat, within)
            wait = turn - self._clock()
            if granted:
                if wait > 0:
                    await self._sleep(wait)
                if within is not None and self._clock() - turn > self._overall.interval:
                    # Woken late (this process was busy): sent now, it would go out
                    # together with the turns after its own. An outbox message gives
                    # the turn up and asks again; a reply goes.
                    continue
                return
            await self._sleep(max(wait, MIN_RETRY))

    async def _ask_bulk(self, chat: Rate, within: float) -> tuple[bool, float]:
        while True:
            granted, turn = await self._ask(chat, within)
            if granted or turn - self._clock() > within:
                return granted, turn
            await self._sleep(max(turn - self._clock(), MIN_RETRY))

    async def _ask(self, chat: Rate, within: float | None) -> tuple[bool, float]:
        """The budget's answer as a moment on this process's clock. The wait counts
        from when the question was asked (a shared budget reads its own clock as the
        question arrives), not from when this busy process got round to the answer:
        that would send late, and a late message bunches up with the next ones."""
        asked = self._clock()
        granted, wait = await self.budget.reserve(self._overall, gates=(chat,), within=within)
        return granted, asked + wait

    def _chat_rate(self, chat: str, group: bool) -> Rate:
        burst = self.limits.burst
        if group:
            # burst + rate * 60 s stays within the per-minute limit.
            interval = 60.0 / max(self.limits.group_per_minute - burst, 1.0)
        else:
            interval = 1.0 / self.limits.chat_per_second
        digest = hmac.new(self._salt, chat.encode(), hashlib.sha256).hexdigest()[:24]
        return Rate(f"chat:{digest}", interval, burst)


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 deprecates the int form of this attribute
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
