"""Flood control: Telegram's rate limits, its 429s and transient failures, per chat.

Every message waits for its chat's budget (one a second with a small burst in a
private chat, twenty a minute in a group) and then for the bot's overall budget
(thirty a second). A 429 pauses only the chat it was about, for the
``retry_after`` Telegram gave, and the message is sent again; 5xx answers and
network errors are retried with exponential backoff. Waiting happens in the
caller's task, so one chat's trouble never holds up another's replies.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from telegram.error import BadRequest, NetworkError, RetryAfter

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Buckets idle for this long are full again and can be forgotten.
FORGET_AFTER = 300.0


@dataclass(frozen=True, slots=True)
class Limits:
    global_per_second: float = 30.0
    chat_per_second: float = 1.0
    group_per_minute: float = 20.0
    burst: int = 3
    #: How long transient failures are retried before the call gives up.
    retry_seconds: float = 60.0
    first_backoff: float = 0.5
    max_backoff: float = 15.0


class Bucket:
    """A token bucket that hands out reservations: ``reserve`` says how long to wait."""

    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate, self.capacity = rate, capacity
        self.tokens, self.stamp = capacity, now

    def reserve(self, now: float) -> float:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def idle_since(self, now: float) -> bool:
        return self.tokens >= 0 and now - self.stamp > FORGET_AFTER


class FloodControl:
    def __init__(
        self,
        limits: Limits | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.limits = limits = limits or Limits()
        self._clock, self._sleep = clock, sleep
        now = clock()
        self._global = Bucket(limits.global_per_second, limits.global_per_second, now)
        self._chats: dict[str, Bucket] = {}
        self._paused: dict[str, float] = {}

    async def send(self, chat: str, group: bool, call: Callable[[], Awaitable[T]]) -> T:
        """Make ``call`` (one message to ``chat``) within the limits, retrying as needed."""
        return await self._attempts(call, (chat, group))

    async def call(self, call: Callable[[], Awaitable[T]]) -> T:
        """Make a call that sends no message (a file, a callback answer), retrying as needed."""
        return await self._attempts(call, None)

    async def _attempts(self, call: Callable[[], Awaitable[T]], to: tuple[str, bool] | None) -> T:
        deadline = self._clock() + self.limits.retry_seconds
        backoff = self.limits.first_backoff
        while True:
            if to is not None:
                await self._wait_turn(*to)
            try:
                return await call()
            except RetryAfter as exc:
                wait = retry_after_seconds(exc)
                log.warning("Telegram asked the bot to wait %.0f s (429)", wait)
                if to is None:
                    await self._sleep(wait)
                else:
                    self._pause(to[0], wait)
            except BadRequest:
                raise
            except NetworkError as exc:  # 5xx answers, timeouts, broken connections
                if self._clock() + backoff > deadline:
                    raise
                log.warning("a Bot API call failed (%s); retrying", type(exc).__name__)
                await self._sleep(backoff * random.uniform(0.5, 1.0))
                backoff = min(backoff * 2, self.limits.max_backoff)

    def _pause(self, chat: str, seconds: float) -> None:
        until = self._clock() + seconds
        self._paused[chat] = max(until, self._paused.get(chat, 0.0))

    async def _wait_turn(self, chat: str, group: bool) -> None:
        paused = self._paused.get(chat)
        if paused is not None:
            delay = paused - self._clock()
            if delay > 0:
                await self._sleep(delay)
            self._paused.pop(chat, None)
        delay = self._chat_bucket(chat, group).reserve(self._clock())
        if delay > 0:
            await self._sleep(delay)
        delay = self._global.reserve(self._clock())
        if delay > 0:
            await self._sleep(delay)

    def _chat_bucket(self, chat: str, group: bool) -> Bucket:
        bucket = self._chats.get(chat)
        if bucket is None:
            now = self._clock()
            if len(self._chats) > 10_000:
                self._forget_idle(now)
            burst = float(self.limits.burst)
            if group:
                # burst + rate * 60 s stays within the per-minute limit.
                rate = max(self.limits.group_per_minute - burst, 1.0) / 60.0
            else:
                rate = self.limits.chat_per_second
            bucket = self._chats[chat] = Bucket(rate, burst, now)
        return bucket

    def _forget_idle(self, now: float) -> None:
        for key in [key for key, bucket in self._chats.items() if bucket.idle_since(now)]:
            del self._chats[key]


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 deprecates the int form of this attribute
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
