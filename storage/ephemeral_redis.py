"""The ``Ephemeral`` store in a Redis that keeps nothing on disk, for several workers.

One process keeps drafts, counters and the period secrets in its own memory
(``bot.core.ephemeral.MemoryEphemeral``). Workers that share a database must share
those too, or a report's steps landing on two workers would lose the draft; Redis
holds them for all, with the same time limits. It is only acceptable if Redis writes
nothing to disk: ``connect`` refuses a server with RDB snapshots or an append-only
file, since either would put the secrets (and so every sender's pseudonym of the
day) on a disk beside the database.

The trade-off, in docs/THREAT_MODEL.md: whoever can read Redis's memory while the bot
runs reads what the bot's own memory holds, now in two processes.
"""

from __future__ import annotations

import os
from typing import Any

SECRET_BYTES = 32


class PersistentRedis(RuntimeError):
    """The Redis server would write the bot's secrets to disk."""


class RedisEphemeral:
    """``bot.core.ports.Ephemeral`` on a Redis client (``redis.asyncio.Redis``)."""

    def __init__(self, client: Any, prefix: str = "candibot:") -> None:
        self._redis = client
        self._prefix = prefix

    def _key(self, key: str) -> str:
        return self._prefix + key

    async def secret(self, name: str, ttl: float, *, create: bool = True) -> bytes | None:
        key = self._key(f"secret:{name}")
        if create:
            # NX: the first worker to need the period's secret makes it; all read it.
            await self._redis.set(key, os.urandom(SECRET_BYTES), nx=True, px=_ms(ttl))
        found: bytes | None = await self._redis.get(key)
        return found

    async def get(self, key: str) -> bytes | None:
        found: bytes | None = await self._redis.get(self._key(key))
        return found

    async def put(self, key: str, value: bytes, ttl: float) -> None:
        await self._redis.set(self._key(key), value, px=_ms(ttl))

    async def delete(self, key: str) -> None:
        await self._redis.delete(self._key(key))

    async def incr(self, key: str, ttl: float) -> int:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(self._key(key))
            pipe.pexpire(self._key(key), _ms(ttl), nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def close(self) -> None:
        await self._redis.aclose()


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


def persistence_problem(save: str, appendonly: str) -> str | None:
    """Why a Redis with these settings would put secrets on disk, or None."""
    if save.strip():
        return f'it saves snapshots (save "{save}"); set save ""'
    if appendonly.strip().lower() != "no":
        return "it keeps an append-only file; set appendonly no"
    return None


async def connect(url: str, prefix: str = "candibot:") -> RedisEphemeral:
    """A store on the Redis at ``url``, after checking that it persists nothing."""
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    save = str((await client.config_get("save")).get("save") or "")
    appendonly = str((await client.config_get("appendonly")).get("appendonly") or "no")
    problem = persistence_problem(save, appendonly)
    if problem is not None:
        await client.aclose()
        raise PersistentRedis(f"the Redis at {url.split('@')[-1]} writes to disk: {problem}")
    return RedisEphemeral(client, prefix)
