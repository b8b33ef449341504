"""The stores for what must never reach a disk: this process's memory, and a Redis that
keeps nothing on disk for several workers. Both behave alike; secrets are random,
made once per period and gone when it ends; two workers sharing Redis carry one report
flow between them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.adapters.memory import MemoryAdapter
from bot.app import build_app
from bot.core.ephemeral import MemoryEphemeral
from bot.core.ports import Ephemeral
from storage.ephemeral_redis import RedisEphemeral, connect, persistence_problem
from tests.conftest import TEST_KEY
from tests.helpers import Clock, texts
from tests.staffed import staff_policy, staffed_app

REDIS_URL = "redis://127.0.0.1:6379/0"


async def _forget(prefix: str) -> None:
    client = Redis.from_url(REDIS_URL)
    keys = [key async for key in client.scan_iter(match=prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def _redis(prefix: str) -> RedisEphemeral:
    return await connect(REDIS_URL, prefix)


@pytest.fixture
async def redis_store() -> AsyncIterator[RedisEphemeral]:
    prefix = f"candibot-test-{uuid.uuid4().hex}:"
    store = await _redis(prefix)
    yield store
    await store.close()
    await _forget(prefix)


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Ephemeral]:
    if request.param == "memory":
        yield MemoryEphemeral()
        return
    prefix = f"candibot-test-{uuid.uuid4().hex}:"
    redis = await _redis(prefix)
    yield redis
    await redis.close()
    await _forget(prefix)


async def test_a_secret_is_random_and_stable_for_its_period(store: Ephemeral) -> None:
    first = await store.secret("draft:1", 60)
    assert first is not None and len(first) == 32
    assert await store.secret("draft:1", 60) == first
    assert await store.secret("draft:2", 60) != first
    assert await store.secret("draft:3", 60, create=False) is None


async def test_values_counters_and_deletion(store: Ephemeral) -> None:
    await store.put("k", b"sealed", 60)
    assert await store.get("k") == b"sealed"
    await store.delete("k")
    assert await store.get("k") is None
    assert [await store.incr("c", 60) for _ in range(3)] == [1, 2, 3]


async def test_a_memory_secret_dies_with_its_time_and_is_zeroed() -> None:
    clock = Clock()
    store = MemoryEphemeral(clock)
    secret = await store.secret("sender:1", 10)
    held = store._values["secret:sender:1"][1]
    clock.now += 11
    assert await store.secret("sender:1", 10, create=False) is None
    assert held == bytearray(32) and secret != bytes(32)


async def test_a_redis_value_expires(redis_store: RedisEphemeral) -> None:
    await redis_store.put("short", b"x", 0.05)
    import asyncio

    await asyncio.sleep(0.2)
    assert await redis_store.get("short") is None


def test_a_redis_that_writes_to_disk_is_refused() -> None:
    assert persistence_problem("", "no") is None
    assert "snapshots" in (persistence_problem("3600 1 300 100", "no") or "")
    assert "append-only" in (persistence_problem("", "yes") or "")


async def test_two_workers_sharing_redis_carry_one_report_between_them(db_url: str) -> None:
    """Steps of one report land on alternating workers, as behind a load balancer."""
    first = await staffed_app(db_url)
    await first.close()
    prefix = f"candibot-test-{uuid.uuid4().hex}:"
    workers, chats = [], []
    for _ in range(2):
        store = await _redis(prefix)
        app = await build_app(
            db_url, TEST_KEY, migrate=False, policy=staff_policy(), ephemeral=store
        )
        chat = MemoryAdapter(language="en")
        chat.attach(app.sink_for(chat))
        workers.append(app)
        chats.append(chat)
    try:
        steps = [
            ("say", "/report"), ("press", "rpt:go"), ("press", "rptc:violence"),
            ("press", "rpta:"), ("press", "rptw:today"),
            ("say", "Two men followed me home after the candidates' meeting."),
            ("press", "rptp:done"), ("press", "rptpub:no"), ("press", "rpts:send"),
        ]  # fmt: skip
        replies = ""
        for n, (kind, value) in enumerate(steps):
            chat = chats[n % 2]
            act = chat.say if kind == "say" else chat.press
            replies = texts(await act(value, user="walker"))
        assert "Your report was received" in replies
    finally:
        for app in workers:
            await app.close()
        await _forget(prefix)
