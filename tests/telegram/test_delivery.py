"""Nothing lost, nothing done twice, in one process: the stored offset, redelivered
updates, one chat's order, other chats' concurrency, and a refused token."""

from __future__ import annotations

import asyncio

import pytest

from bot.adapters.telegram import TelegramAdapter
from bot.adapters.telegram.polling import PollingError
from bot.app import App
from tests.telegram.conftest import running, settings_for
from tests.telegram.fake_api import FakeBotAPI

ALICE, BOB = 5550001, 5550002


async def test_polling_removes_a_webhook_left_from_an_earlier_deployment(
    app: App, fake: FakeBotAPI
) -> None:
    fake.webhook = {"url": "https://old.example.org/hook"}
    async with running(app, fake):
        fake.message(ALICE, "/start")
        await fake.replies(ALICE, 1)
    assert fake.webhook is None


async def test_the_offset_is_stored_once_updates_are_handled(app: App, fake: FakeBotAPI) -> None:
    async with running(app, fake):
        first = fake.message(ALICE, "/start")
        await fake.replies(ALICE, 1)
        await fake.wait_for(lambda: fake.pending() == 0, what="the offset confirmed")
    assert await app.cursors.load("telegram", "offset") == str(first + 1)


async def test_a_redelivered_update_is_not_answered_twice(app: App, fake: FakeBotAPI) -> None:
    async with running(app, fake):
        update = fake.message(ALICE, "/start")
        await fake.replies(ALICE, 1)
    # As if the offset had not been stored before a crash: Telegram sends it again.
    await app.cursors.save("telegram", "offset", str(update))
    fake.redeliver(update)
    async with running(app, fake):
        fake.message(ALICE, "/help")
        await fake.replies(ALICE, 2)
        await fake.wait_for(lambda: fake.pending() == 0, what="the offset confirmed")
    assert len(fake.texts(ALICE)) == 2
    assert "欢迎" in fake.texts(ALICE)[0] and "/search" in fake.texts(ALICE)[1]


async def test_a_slow_chat_keeps_its_order_and_holds_up_no_other(
    app: App, fake: FakeBotAPI
) -> None:
    fake.fail("sendMessage", 429, retry_after=1, times=1, chat_id=ALICE)
    async with running(app, fake):
        for text in ("/start", "/help", "/rights"):
            fake.message(ALICE, text, language="en")
        await asyncio.sleep(0.05)
        fake.message(BOB, "/help", language="en")
        await fake.replies(ALICE, 3)
    alice = fake.texts(ALICE)
    assert "Welcome" in alice[0] and "What I can do" in alice[1] and "right" in alice[2].lower()
    assert fake.last(BOB).at < fake.last(ALICE).at - 0.5


async def test_the_stored_offset_survives_updates_fetched_but_not_handled(
    app: App, fake: FakeBotAPI
) -> None:
    fake.hold_replies()
    async with running(app, fake) as adapter:
        held = fake.message(ALICE, "/start")
        queued = fake.message(ALICE, "/help")
        await fake.wait_for(lambda: fake.count("sendMessage") == 1, what="a reply in flight")
        await fake.wait_for(lambda: fake.count("getUpdates") >= 3, what="the queue fetched")
        stored = await app.cursors.load("telegram", "offset")
        # Stopping finishes the update in hand and drops the one queued behind it.
        await adapter.stop()
        await asyncio.sleep(0.2)  # the poller stops while the reply is still held
        fake.release_replies()
    assert stored in (None, str(held))
    assert await app.cursors.load("telegram", "offset") == str(queued)
    assert fake.pending() >= 1  # Telegram still holds /help for the next start


async def test_a_refused_token_stops_the_adapter_without_printing_it(
    app: App, fake: FakeBotAPI
) -> None:
    adapter = TelegramAdapter(settings_for(fake, token="42:wrong-token"), app.cursors)
    with pytest.raises(PollingError) as raised:
        await adapter.run(app.sink_for(adapter))
    assert "wrong-token" not in str(raised.value) and raised.value.__cause__ is None
