"""What must die with its time: random keys, drafts and counters kept out of the disk.

A report must not be linkable to its sender by someone who copies the server's disk,
with every key on it. So nothing tied to a sender during a report is derived from a
key on disk: the draft's slot and sealing key come from a random secret of the current
period (an hour), flood and rate counters are keyed by a random secret of the day, and
all of them live in an ``Ephemeral`` store (``bot.core.ports``): this process's memory,
or a Redis that keeps nothing on disk when several workers must share them. When a
period's secret expires, the pseudonyms and drafts made under it can no longer be
rebuilt by anyone.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.events import ChatRef, SenderRef
from bot.core.ports import Ephemeral

SECRET_BYTES = 32


class MemoryEphemeral:
    """An ``Ephemeral`` store in this process's memory: gone at exit, never on disk.

    Secrets are kept in ``bytearray``s that are zeroed when they expire, so that a
    secret's bytes do not outlive it in this process either.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._values: dict[str, tuple[float, bytes | bytearray | int]] = {}
        self._next_sweep = 0.0

    def _sweep(self, now: float) -> None:
        # Amortised: a full pass at most once a minute keeps memory bounded by what
        # is alive, whatever a flood of senders creates.
        if now < self._next_sweep:
            return
        self._next_sweep = now + 60
        for key in [k for k, (expires, _) in self._values.items() if expires <= now]:
            self._drop(key)

    def _drop(self, key: str) -> None:
        _, value = self._values.pop(key)
        if isinstance(value, bytearray):
            value[:] = bytes(len(value))

    def _live(self, key: str) -> bytes | bytearray | int | None:
        now = self._clock()
        self._sweep(now)
        found = self._values.get(key)
        if found is None:
            return None
        if found[0] <= now:
            self._drop(key)
            return None
        return found[1]

    async def secret(self, name: str, ttl: float, *, create: bool = True) -> bytes | None:
        found = self._live(f"secret:{name}")
        if isinstance(found, bytearray):
            return bytes(found)
        if not create:
            return None
        fresh = bytearray(os.urandom(SECRET_BYTES))
        self._values[f"secret:{name}"] = (self._clock() + ttl, fresh)
        return bytes(fresh)

    async def get(self, key: str) -> bytes | None:
        found = self._live(key)
        return bytes(found) if isinstance(found, bytes | bytearray) else None

    async def put(self, key: str, value: bytes, ttl: float) -> None:
        self._values[key] = (self._clock() + ttl, value)

    async def delete(self, key: str) -> None:
        if key in self._values:
            self._drop(key)

    def count(self, prefix: str) -> int:
        """How many live values have keys starting with ``prefix`` (drafts in progress,
        say); nothing says whose."""
        now = self._clock()
        return sum(
            1 for k, (expires, _) in self._values.items() if k.startswith(prefix) and expires > now
        )

    async def incr(self, key: str, ttl: float) -> int:
        found = self._live(key)
        count = (found if isinstance(found, int) else 0) + 1
        expires = self._values[key][0] if found is not None else self._clock() + ttl
        self._values[key] = (expires, count)
        return count


@dataclass(frozen=True, slots=True)
class DraftSlot:
    """Where one period's private flow of a conversation is kept, and its sealing key."""

    key: str
    seal: bytes


def _mac(secret: bytes, *parts: str) -> bytes:
    return hmac.new(secret, "\x1f".join(parts).encode(), hashlib.sha256).digest()


@dataclass(frozen=True, slots=True)
class ForwardKeys:
    """Pseudonyms and keys under random secrets that expire: forward secrecy for senders.

    A draft lives under the secret of the hour it was last saved in, and is read
    under this hour's or the last hour's; a secret dies two periods after its own, so a
    draft untouched for longer than a period is unreadable even before it is deleted.
    """

    store: Ephemeral
    period: timedelta = timedelta(hours=1)

    def _index(self, now: datetime, period: timedelta) -> int:
        return int(now.timestamp() // period.total_seconds())

    async def draft_slots(self, chat: ChatRef, sender: SenderRef, now: datetime) -> list[DraftSlot]:
        """This period's slot first, then the last period's if its secret still lives."""
        index = self._index(now, self.period)
        ttl = 2 * self.period.total_seconds()
        slots = []
        for back, create in ((0, True), (1, False)):
            secret = await self.store.secret(f"draft:{index - back}", ttl, create=create)
            if secret is None:
                continue
            key = _mac(secret, "draft", chat.platform, chat.id, sender.id).hex()
            slots.append(DraftSlot(f"draft:{key}", _mac(secret, "seal")))
        return slots

    async def sender_tag(self, sender: SenderRef, now: datetime) -> str:
        """A pseudonym of the sender for today (UTC), for counters that must not link
        one day to another; it cannot be rebuilt once the day's secret is gone."""
        day = timedelta(days=1)
        secret = await self.store.secret(f"sender:{self._index(now, day)}", 2 * day.total_seconds())
        assert secret is not None
        return _mac(secret, "sender", sender.platform, sender.id).hex()
