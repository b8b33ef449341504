"""Two workers on one PostgreSQL database share the outbox and one rate budget (Redis),
against a fake Bot API server that holds them to Telegram's limits: every alert is
delivered exactly once, the server never has to answer 429, and its busiest second stays
within the limit; a 429 for a chat holds that chat for both workers; a reply overtakes
the broadcast. Workers with budgets of their own are caught by the same server (which
is what makes the first test able to fail), and still lose nothing.

The workers are two whole bots (``build_app``) in this process, each with its Telegram
adapter in webhook mode on a port of its own and its outbox pump; what is asserted is
counted by the fake server, never timed in our code."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.adapters.telegram import TelegramAdapter
from bot.app import App, build_app
from bot.core.pacing import LocalBudget
from bot.core.ports import RateBudget
from bot.core.replies import Reply
from bot.delivery import OutboxPump
from storage.dataset import load_dataset, read_packaged
from storage.models import OutboxKind, OutboxMessage
from storage.outbox import enqueue
from storage.rate_budget_redis import connect as redis_budget
from storage.unit import unit_factory
from tests.conftest import TEST_KEY, fixed_policy
from tests.followers import announce_new_day, chats, follow
from tests.telegram.conftest import free_port, settings_for
from tests.telegram.fake_api import FakeBotAPI, RateLimit
from tests.test_rate_budget import REDIS_URL, forget_scope

pytestmark = [
    pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),
    pytest.mark.filterwarnings("ignore:.*`retry_after`.*"),
]

SECRET = "shared-budget-secret"
FOLLOWERS = 150
LIMIT = RateLimit()
CITIZEN = 5550777


@pytest.fixture
async def limited() -> AsyncIterator[FakeBotAPI]:
    api = await FakeBotAPI(rate_limit=LIMIT).start()
    yield api
    await api.stop()


@pytest.fixture
async def shared() -> AsyncIterator[Callable[[], RateBudget]]:
    """Makes budgets that share one scope in Redis, as two workers with one token do."""
    scope = TelegramAdapter.budget_scope("token") + uuid.uuid4().hex[:8]
    made: list[RateBudget] = []

    def make() -> RateBudget:
        made.append(redis_budget(REDIS_URL, scope))
        return made[-1]

    yield make
    for budget in made:
        await budget.close()
    await forget_scope(scope)


@dataclass
class Worker:
    app: App
    adapter: TelegramAdapter
    pump: OutboxPump
    url: str


@asynccontextmanager
async def workers(
    db_url: str, fake: FakeBotAPI, budgets: list[RateBudget]
) -> AsyncIterator[list[Worker]]:
    """One bot per budget on ``db_url``, each serving webhooks on its own port and
    draining the outbox, until the block ends."""
    async with AsyncExitStack() as stack:
        running: list[Worker] = []
        for budget in budgets:
            app = await build_app(db_url, TEST_KEY, migrate=False, policy=fixed_policy())
            stack.push_async_callback(app.close)
            port = free_port()
            url = f"http://127.0.0.1:{port}/hook"
            settings = settings_for(fake, chat_per_second=1.0, group_per_minute=20.0,
                                    webhook_url=url, webhook_secret=SECRET, listen_port=port,
                                    set_commands=False)  # fmt: skip
            adapter = TelegramAdapter(settings, app.cursors, budget=budget)
            task = asyncio.create_task(adapter.run(app.sink_for(adapter)))
            stack.push_async_callback(_stopped, adapter, task)
            registered = len(running) + 1
            await fake.wait_for(lambda n=registered: fake.count("setWebhook") >= n,  # type: ignore[misc]
                                what="the webhook")  # fmt: skip
            pump = OutboxPump(app.engine, adapter)
            pump.start()
            stack.push_async_callback(pump.stop)
            running.append(Worker(app, adapter, pump, url))
        yield running


async def _stopped(adapter: TelegramAdapter, task: asyncio.Task[None]) -> None:
    await adapter.stop()
    await asyncio.wait_for(task, 15)


async def _demo(db_url: str) -> App:
    app = await build_app(db_url, TEST_KEY, migrate=False, policy=fixed_policy())
    async with unit_factory(app.engine)() as unit:
        await load_dataset(unit.session, read_packaged())
    return app


async def _waiting(app: App) -> int:
    async with unit_factory(app.engine)() as unit:
        return int(await unit.session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


async def _post(url: str, fake: FakeBotAPI, chat: int, text: str) -> int:
    body = {"update_id": 900_000 + chat} | fake.update_body(chat, text, language="en")
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=body, headers=headers) as response,
    ):
        return response.status


async def test_two_workers_deliver_every_alert_once_within_the_shared_limit(
    db_url: str, limited: FakeBotAPI, shared: Callable[[], RateBudget]
) -> None:
    demo = await _demo(db_url)
    await follow(demo.engine, FOLLOWERS)
    queued, _ = await announce_new_day(demo.engine)
    assert queued == FOLLOWERS
    fake = limited
    async with workers(db_url, fake, [shared(), shared()]) as both:
        # A citizen's /start, to the second worker, once the broadcast is under way.
        await fake.wait_for(lambda: len(fake.sent) >= 30, 30, "the broadcast to start")
        before = len(fake.sent)
        assert await _post(both[1].url, fake, CITIZEN, "/start") == 200
        answered = [s.chat_id for s in fake.sent].index(CITIZEN)
        await fake.wait_for(lambda: len(fake.sent) >= FOLLOWERS + 1, 60, "every alert")
        await asyncio.sleep(0.3)  # room for a message sent twice to show up
        delivered = [worker.pump.delivered for worker in both]
        assert await _waiting(demo) == 0
    await demo.close()
    for chat in chats(FOLLOWERS):
        assert len(fake.texts(chat)) == 1, chat
    assert "Election news for 进贤县" in fake.texts(chats(1)[0])[0]
    assert sum(delivered) == FOLLOWERS and min(delivered) > 0, delivered
    assert fake.too_many == 0, fake.backdated
    # GCRA with no burst at 30 a second: over any second at most 30 and the few the
    # server forgives for jitter (RateLimit.slack).
    assert fake.busiest(1.0) <= LIMIT.per_second + LIMIT.per_second * LIMIT.slack
    # The reply went out while the broadcast was being sent, not behind it: the outbox
    # holds no more than a couple of turns ahead of it (the rest of the gap is the
    # /start's own handling, on a machine that may be busy: 45 turns are 1.5 s).
    assert answered - before < 45 < FOLLOWERS - answered


async def test_two_workers_with_budgets_of_their_own_get_429s_and_lose_nothing(
    db_url: str, limited: FakeBotAPI
) -> None:
    demo = await _demo(db_url)
    await follow(demo.engine, FOLLOWERS)
    await announce_new_day(demo.engine)
    fake = limited
    async with workers(db_url, fake, [LocalBudget(), LocalBudget()]):
        await fake.wait_for(lambda: len(fake.sent) >= FOLLOWERS, 60, "every alert")
        await asyncio.sleep(0.3)
        assert await _waiting(demo) == 0
    await demo.close()
    assert fake.too_many > 0, ("together they went beyond Telegram's limit", fake.backdated)
    for chat in chats(FOLLOWERS):
        assert len(fake.texts(chat)) == 1, chat


async def test_a_429_holds_the_chat_for_every_worker(
    db_url: str, limited: FakeBotAPI, shared: Callable[[], RateBudget]
) -> None:
    demo = await _demo(db_url)
    chat = 5550429
    async with unit_factory(demo.engine)() as unit:
        for n in range(4):
            await enqueue(unit.session, "telegram", str(chat), Reply.of(f"news {n}").to_json(),
                          OutboxKind.alert)  # fmt: skip
    fake = limited
    fake.fail("sendMessage", 429, retry_after=2, chat_id=chat)
    async with workers(db_url, fake, [shared(), shared()]):
        await fake.wait_for(lambda: len(fake.texts(chat)) == 4, 30, "the four messages")
    await demo.close()
    tries = [
        c.at for c in fake.calls if c.method == "sendMessage" and c.params["chat_id"] == str(chat)
    ]
    refused = next(c.at for c in fake.calls if c.status == 429)
    assert all(at >= refused + 1.9 for at in tries if at > refused), "nobody sent in the hold"
    assert fake.too_many == 0 and sorted(fake.texts(chat)) == [f"news {n}" for n in range(4)]
