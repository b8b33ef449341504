"""Flood control: Telegram's rate limits, 429 retry_after honoured per chat, 5xx and network
errors retried with backoff; no chat's trouble holds up another's replies."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from telegram.error import BadRequest, NetworkError, RetryAfter

from bot.adapters.telegram.flood import FloodControl, Limits
from bot.app import App
from tests.telegram.conftest import running
from tests.telegram.fake_api import FakeBotAPI

# PTB 22 warns on every RetryAfter it makes; the adapter silences that in production.
pytestmark = pytest.mark.filterwarnings("ignore:.*`retry_after`.*")


class VirtualTime:
    """A clock that sleeping advances, so limits can be checked without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def controlled(time: VirtualTime, **limits: float) -> FloodControl:
    return FloodControl(Limits(**limits), clock=time.clock, sleep=time.sleep)  # type: ignore[arg-type]


async def sent_at(flood: FloodControl, time: VirtualTime, chat: str, group: bool) -> float:
    async def call() -> float:
        return time.now

    return await flood.send(chat, group, call)


async def test_a_private_chat_gets_a_burst_then_one_message_a_second() -> None:
    time = VirtualTime()
    flood = controlled(time)
    stamps = [await sent_at(flood, time, "1", False) - 1000.0 for _ in range(6)]
    # The burst comes as fast as the bot's overall pace allows: one every 1/30 s.
    assert stamps == pytest.approx([0, 1 / 30, 2 / 30, 1, 2, 3])


async def test_a_group_never_gets_more_than_twenty_messages_a_minute() -> None:
    time = VirtualTime()
    flood = controlled(time)
    stamps = [await sent_at(flood, time, "-5", True) for _ in range(45)]
    for i, stamp in enumerate(stamps):
        in_window = [s for s in stamps[i:] if s < stamp + 60.0]
        assert len(in_window) <= 20


async def test_the_bot_sends_thirty_messages_a_second_overall_without_a_burst() -> None:
    time = VirtualTime()
    flood = controlled(time)
    stamps = [await sent_at(flood, time, str(chat), False) for chat in range(120)]
    assert [b - a for a, b in itertools.pairwise(stamps)] == pytest.approx([1 / 30] * 119)


async def test_a_429_pauses_only_its_chat_for_retry_after() -> None:
    time = VirtualTime()
    flood = controlled(time)
    attempts: list[float] = []

    async def flooded() -> str:
        attempts.append(time.now)
        if len(attempts) < 3:
            raise RetryAfter(7)
        return "sent"

    assert await flood.send("1", False, flooded) == "sent"
    assert [a - attempts[0] for a in attempts] == pytest.approx([0, 7, 14])
    # Another chat's turn was never taken by the pause.
    assert await sent_at(flood, time, "2", False) == time.now


async def test_network_errors_are_retried_with_backoff_then_given_up() -> None:
    time = VirtualTime()
    flood = controlled(time, retry_seconds=20.0)
    failures = 0

    async def broken() -> None:
        nonlocal failures
        failures += 1
        raise NetworkError("Bad Gateway (502)")

    with pytest.raises(NetworkError):
        await flood.call(broken)
    assert 4 <= failures <= 8 and time.now - 1000.0 <= 20.0


async def test_a_bad_request_is_not_retried() -> None:
    time = VirtualTime()
    calls: list[int] = []

    async def refused() -> None:
        calls.append(1)
        raise BadRequest("chat not found")

    with pytest.raises(BadRequest):
        await controlled(time).send("1", False, refused)
    assert calls == [1]


STORMED = [5550100 + i for i in range(4)]
CALM = [5550200 + i for i in range(4)]


async def test_a_429_storm_loses_nothing_and_blocks_no_other_chat(
    app: App, fake: FakeBotAPI
) -> None:
    for chat in STORMED:
        fake.fail("sendMessage", 429, retry_after=1, times=2, chat_id=chat)
    async with running(app, fake):
        for chat in STORMED + CALM:
            fake.message(chat, "/help", language="en")
        await fake.wait_for(lambda: all(fake.texts(c) for c in STORMED + CALM), timeout=15)
        await asyncio.sleep(0.3)  # room for a reply sent twice to show up
    for chat in STORMED + CALM:
        assert len(fake.texts(chat)) == 1, chat
    last_calm = max(fake.last(chat).at for chat in CALM)
    first_stormed = min(fake.last(chat).at for chat in STORMED)
    assert last_calm < first_stormed
    for chat in STORMED:
        tries = [c.at for c in fake.calls if c.method == "sendMessage" and _chat(c) == chat]
        assert len(tries) == 3
        assert all(b - a >= 0.95 for a, b in itertools.pairwise(tries))


async def test_5xx_answers_are_retried_everywhere(app: App, fake: FakeBotAPI) -> None:
    fake.fail("getUpdates", 500, times=2)
    fake.fail("sendMessage", 502, times=2)
    fake.fail("answerCallbackQuery", 503, times=1)
    async with running(app, fake):
        fake.message(5550001, "/start", language="en")
        await fake.replies(5550001, 1)
        fake.press(5550001, "menu:help", language="en")
        replies = await fake.replies(5550001, 2)
        await fake.wait_for(lambda: len(fake.answered) == 1, what="the callback answer")
    assert len(replies) == 2 and "What I can do" in replies[1].text


def _chat(call: object) -> int:
    return int(getattr(call, "params", {}).get("chat_id", 0))


async def test_a_receipt_being_hashed_holds_up_no_other_chat(db_url: str, fake: FakeBotAPI) -> None:
    """Found by benchmarks/flood.py: on SQLite the adapter handed one update at a time to
    the core, so another chat's /start waited for every receipt hash queued before it."""
    from bot.app import build_app
    from handlers.policy import Policy, ReportSetup
    from storage.crypto import ModeratorKeys, generate
    from storage.receipts import ReceiptHasher
    from tests.conftest import FIXED_NOW, TEST_KEY

    private = generate()
    slow = ReceiptHasher(b"s" * 16, time_cost=3, memory_kib=65536)  # the deployed cost
    policy = Policy(
        clock=lambda: FIXED_NOW,
        reports=ReportSetup(keys=ModeratorKeys(private.public_key, private), hasher=slow),
    )
    app = await build_app(db_url, TEST_KEY, migrate=False, policy=policy)
    try:
        async with running(app, fake):
            guessers = range(6100, 6106)
            for chat in guessers:
                fake.message(chat, f"/status {chat:016d}", language="en")
            fake.message(6200, "/start", language="en")
            for chat in [*guessers, 6200]:
                await fake.replies(chat, 1, timeout=30)
        started = fake.last(6200).at
        assert started < max(fake.last(chat).at for chat in guessers)
    finally:
        await app.close()


async def test_a_403_marks_the_alert_failed_and_forgets_the_chat(
    app: App, fake: FakeBotAPI
) -> None:
    from sqlalchemy import select

    from bot.core.replies import Reply
    from bot.delivery import OutboxPump
    from storage.models import OutboxKind, OutboxMessage, Subscription
    from storage.outbox import enqueue
    from storage.subscriptions import subscribe
    from storage.unit import unit_factory

    async with unit_factory(app.engine)() as unit:
        await subscribe(unit.session, "telegram", "7001", "110108", "en")
        await enqueue(
            unit.session, "telegram", "7001", Reply.of("news").to_json(), OutboxKind.alert
        )
    fake.fail("sendMessage", 403, chat_id=7001)
    async with running(app, fake) as adapter:
        await OutboxPump(app.engine, adapter).once()
    async with unit_factory(app.engine)() as unit:
        assert list(await unit.session.scalars(select(Subscription))) == []
        assert list(await unit.session.scalars(select(OutboxMessage.failed))) == [
            "forbidden: blocked or left"
        ]
