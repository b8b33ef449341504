"""Rate budgets (``bot.core.pacing``): the same generic cell rate algorithm in this
process's memory and in Redis, where two workers (two clients) share one budget; turns
reserved ahead, gates that must be ready by the turn, ``within`` for bulk senders, holds
after a 429; and Telegram's flood control on top: a reply overtakes the outbox.

The intervals are ten seconds, so that the milliseconds a call takes do not matter: the
tests read the waits the budget hands out, never a clock."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.adapters.telegram import TelegramAdapter
from bot.adapters.telegram.flood import OVERALL as OVERALL_KEY
from bot.adapters.telegram.flood import FloodControl, Limits
from bot.app import app_from_settings
from bot.cli.run import keeping_to_itself
from bot.config import Settings
from bot.core.pacing import LocalBudget, Rate
from bot.core.ports import RateBudget
from storage.rate_budget_redis import PREFIX, RedisBudget, connect
from tests.conftest import TEST_KEY
from tests.telegram.test_flood import VirtualTime

REDIS_URL = "redis://127.0.0.1:6379/0"
TEN = 10.0
OVERALL = Rate("all", TEN)
SLACK = 1.0  # a call's own time, many times over

#: Makes a budget; two calls with the same scope share it (in Redis) or not (local).
Budgets = Callable[[], Awaitable[RateBudget]]


@pytest.fixture(params=["local", "redis"])
async def budgets(request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, Budgets]]:
    made: list[RateBudget] = []
    scope = f"test:{uuid.uuid4().hex}"
    shared = LocalBudget()

    async def make() -> RateBudget:
        budget: RateBudget = shared if request.param == "local" else connect(REDIS_URL, scope)
        made.append(budget)
        return budget

    yield request.param, make
    for budget in made:
        await budget.close()
    await forget_scope(scope)


async def forget_scope(scope: str) -> list[str]:
    """Delete a scope's keys from Redis; returns them."""
    client = Redis.from_url(REDIS_URL)
    keys = [key.decode() async for key in client.scan_iter(match=f"{PREFIX}{{{scope}}}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()
    return keys


async def test_turns_are_reserved_one_interval_apart(budgets: tuple[str, Budgets]) -> None:
    _, make = budgets
    first, second = await make(), await make()  # two workers, in Redis
    waits = [await budget.reserve(OVERALL) for budget in (first, second, first)]
    assert all(granted for granted, _ in waits)
    assert [wait for _, wait in waits] == pytest.approx([0, TEN, 2 * TEN], abs=SLACK)


async def test_a_burst_goes_at_once_then_the_interval_applies(
    budgets: tuple[str, Budgets],
) -> None:
    _, make = budgets
    budget = await make()
    chat = Rate("chat:1", TEN, burst=3)
    waits = [(await budget.reserve(chat))[1] for _ in range(5)]
    assert waits == pytest.approx([0, 0, 0, TEN, 2 * TEN], abs=SLACK)


async def test_a_turn_beyond_within_is_refused_and_nothing_is_reserved(
    budgets: tuple[str, Budgets],
) -> None:
    _, make = budgets
    bulk, reply = await make(), await make()
    assert (await bulk.reserve(OVERALL, within=1.0))[0]
    granted, again_in = await bulk.reserve(OVERALL, within=1.0)
    assert not granted and again_in == pytest.approx(TEN - 1.0, abs=SLACK)
    # The refusal took nothing: a reply gets the very next turn.
    assert await reply.reserve(OVERALL) == pytest.approx((True, TEN), abs=SLACK)


async def test_a_gate_not_ready_refuses_without_moving_the_pace(
    budgets: tuple[str, Budgets],
) -> None:
    _, make = budgets
    budget, other = await make(), await make()
    busy = Rate("chat:busy", 3 * TEN)
    assert (await budget.reserve(OVERALL, gates=[busy]))[0]
    granted, again_in = await other.reserve(OVERALL, gates=[busy])
    assert not granted and again_in == pytest.approx(3 * TEN, abs=SLACK)
    # Another chat takes the overall turn the busy one could not use.
    quiet = Rate("chat:quiet", 3 * TEN)
    assert await other.reserve(OVERALL, gates=[quiet]) == pytest.approx((True, TEN), abs=SLACK)


async def test_a_hold_keeps_every_worker_off_the_chat(budgets: tuple[str, Budgets]) -> None:
    _, make = budgets
    held_by, other = await make(), await make()
    chat = Rate("chat:429", 1.0, burst=3)
    await held_by.hold(chat, 2 * TEN)
    granted, again_in = await other.reserve(Rate("all", 0.01), gates=[chat])
    assert not granted and again_in == pytest.approx(2 * TEN, abs=SLACK)
    await held_by.hold(chat, 1.0)  # a shorter hold does not shorten the first
    assert (await other.reserve(Rate("all", 0.01), gates=[chat]))[1] == pytest.approx(
        2 * TEN, abs=SLACK
    )


async def test_redis_keys_name_neither_the_token_nor_a_chat() -> None:
    token = "123456789:AAFakeTokenForTestsOnly-abcdefghijk"
    scope = TelegramAdapter.budget_scope(token) + uuid.uuid4().hex[:8]
    flood = FloodControl(Limits(), connect(REDIS_URL, scope), salt=token.encode())
    chat = "5550123"

    async def call() -> None:
        return None

    await flood.send(chat, False, call)
    keys = await forget_scope(scope)
    await flood.budget.close()
    assert len(keys) == 2, keys
    for key in keys:
        assert chat not in key and token.split(":")[1] not in key and "123456789" not in key


async def test_a_reply_waits_behind_two_outbox_messages_at_most() -> None:
    """The outbox keeps the budget busy, but reserves no turn more than two intervals
    ahead (``Limits.bulk_ahead``): now, and the next two. A reply asked for meanwhile
    takes the one after them, not a place behind the queue."""
    time = VirtualTime()
    budget = LocalBudget(time.clock)
    flood = FloodControl(Limits(), budget, clock=time.clock, sleep=time.sleep)
    pace, ahead = Rate(OVERALL_KEY, 1 / 30), 2 / 30
    for chat in range(3):
        granted, _ = await budget.reserve(pace, gates=[Rate(f"c{chat}", 1.0, 3)], within=ahead)
        assert granted
    granted, _ = await budget.reserve(pace, gates=[Rate("c3", 1.0, 3)], within=ahead)
    assert not granted, "a fourth outbox turn would be three intervals ahead"
    asked_at, sent = time.now, []

    async def reply() -> None:
        sent.append(time.now)

    await flood.send("reply-chat", False, reply)
    assert sent == [pytest.approx(asked_at + 3 / 30)]


async def test_outbox_messages_go_at_the_overall_pace() -> None:
    time = VirtualTime()
    flood = FloodControl(Limits(), clock=time.clock, sleep=time.sleep)
    sent: list[float] = []

    async def call() -> None:
        sent.append(time.now)

    for chat in range(10):
        await flood.send(str(chat), False, call, bulk=True)
    assert [b - a for a, b in itertools.pairwise(sent)] == pytest.approx([1 / 30] * 9)


async def test_an_outbox_message_woken_late_takes_a_new_turn_rather_than_bunch() -> None:
    """A busy process wakes an outbox message after its turn: sent at once, it would go
    out together with the next message. It asks again, so the next waits an interval."""
    time = VirtualTime()
    stalls = [0.5]

    async def sleep(seconds: float) -> None:
        await time.sleep(seconds + (stalls.pop() if stalls else 0.0))

    flood = FloodControl(Limits(), clock=time.clock, sleep=sleep)
    sent: list[float] = []

    async def call() -> None:
        sent.append(time.now)

    await flood.send("1", False, call)  # now: the next turn is an interval away
    await flood.send("2", False, call, bulk=True)  # sleeps for it, and wakes 0.5 s late
    await flood.send("3", False, call)
    assert sent[2] - sent[1] == pytest.approx(1 / 30)


async def test_a_turn_counts_from_when_it_was_asked_not_answered() -> None:
    """A shared budget answers from its own clock as the question arrives; the answer
    reaches a busy worker later. The worker must not add that delay to the wait."""
    time = VirtualTime()
    local = LocalBudget(time.clock)

    class Remote:
        """The budget across a network: each answer comes 20 ms after the question."""

        async def reserve(
            self, pace: Rate, *, gates: Sequence[Rate] = (), within: float | None = None
        ) -> tuple[bool, float]:
            answer = await local.reserve(pace, gates=gates, within=within)
            time.now += 0.02
            return answer

        async def hold(self, rate: Rate, seconds: float) -> None:
            await local.hold(rate, seconds)

        async def close(self) -> None:
            await local.close()

    flood = FloodControl(Limits(), Remote(), clock=time.clock, sleep=time.sleep)
    sent: list[float] = []

    async def call() -> None:
        sent.append(time.now)

    for chat in range(3):
        await flood.send(str(chat), False, call)
    # Turns at 0, 1/30 and 2/30. The first two answers came after their turns (at 0.02,
    # 0.04) and went at once; the third came at 0.06 and went at its turn, not 0.0267 s
    # (the wait the budget named) after the answer.
    assert sent == pytest.approx([1000.02, 1000.04, 1000 + 2 / 30])


async def test_workers_share_the_budget_of_the_redis_they_are_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'bot.sqlite'}"
    alone = await app_from_settings(Settings(database_url=url), TEST_KEY, None)
    shared = await app_from_settings(
        Settings(database_url=url, ephemeral_url=REDIS_URL), TEST_KEY, None
    )
    try:
        assert isinstance(alone.rate_budget("telegram:x"), LocalBudget)
        assert isinstance(shared.rate_budget("telegram:x"), RedisBudget)
        assert shared.rate_budget("telegram:x") is shared.rate_budget("telegram:x")
    finally:
        await alone.close()
        await shared.close()


def test_a_webhook_worker_on_postgresql_without_redis_is_warned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CANDIBOT_TELEGRAM_WEBHOOK_URL", "https://bot.example.org/hook")
    monkeypatch.setenv("CANDIBOT_TELEGRAM_WEBHOOK_SECRET", "secret")
    postgres = "postgresql://candibot@db/candibot"
    warning = keeping_to_itself(Settings(database_url=postgres))
    assert warning is not None and "CANDIBOT_EPHEMERAL_URL" in warning
    assert keeping_to_itself(Settings(database_url=postgres, ephemeral_url=REDIS_URL)) is None
    assert keeping_to_itself(Settings(database_url="sqlite:///var/x.sqlite")) is None
    monkeypatch.delenv("CANDIBOT_TELEGRAM_WEBHOOK_URL")
    assert keeping_to_itself(Settings(database_url=postgres)) is None, "polling: one process"
