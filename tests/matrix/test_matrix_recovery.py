"""The bot rides out a homeserver restart, and its logs name nobody."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.adapters.matrix import MatrixSettings
from bot.app import App
from tests.matrix.citizen import Citizen
from tests.matrix.conftest import RunningBot
from tests.matrix.synapse import Synapse


async def test_bot_recovers_from_a_homeserver_restart(
    bot: RunningBot, citizen: Citizen, synapse: Synapse
) -> None:
    room = await citizen.direct_chat(encrypted=True)
    await citizen.ask(room, "/start", "欢迎")
    await asyncio.to_thread(synapse.restart)
    await citizen.ask(room, "/language en", "from now on", timeout=30)
    await citizen.ask(room, "/search zeng lixin", "曾立新 (Zēng Lìxīn)")
    assert bot.running


async def test_logs_name_no_user_room_or_text(
    bot: RunningBot, citizen: Citizen, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    room = await citizen.direct_chat(encrypted=True)
    await citizen.ask(room, "/search zeng lixin", "曾立新")
    await citizen.ask(room, "/search qqqqzzzz", "qqqqzzzz")
    ours = [
        record.getMessage()
        for record in caplog.records
        if record.name.split(".")[0] in ("bot", "handlers", "storage", "nio", "peewee")
        and record.levelno <= logging.INFO
    ]
    text = "\n".join(ours)
    for secret in (citizen.user_id, citizen.bot_id, room, "qqqqzzzz", "zeng lixin"):
        assert secret not in text


async def test_a_message_whose_room_key_comes_late_is_answered_in_order(
    bot: RunningBot, citizen: Citizen
) -> None:
    room = await citizen.direct_chat(encrypted=True)
    await citizen.ask(room, "/start", "欢迎")
    citizen.withhold_key(room)
    start = citizen.mark()
    await citizen.say(room, "/language en")
    await citizen.say(room, "/start")
    await citizen.quiet(1.5)
    assert citizen.mark() == start, "answered before the key came"
    await citizen.deliver_key(room)
    said = await citizen.heard_until(start, "Welcome to candibot.")
    assert said.index("from now on") < said.index("Welcome to candibot.")


async def test_a_message_whose_room_key_never_comes_is_asked_again(
    bot_settings: MatrixSettings, matrix_app: App, citizen: Citizen
) -> None:
    settings = bot_settings.model_copy(update={"key_wait_seconds": 1.0, "sync_timeout_ms": 500})
    bot = RunningBot(matrix_app, settings)
    await bot.start()
    try:
        room = await citizen.direct_chat(encrypted=True)
        citizen.withhold_key(room)
        start = citizen.mark()
        await citizen.say(room, "/start")
        said = await citizen.heard_until(start, "Please send it again.")
        assert "我无法读取你的上一条消息" in said
        assert citizen.heard[start].msgtype == "m.notice"
    finally:
        await bot.stop()


async def test_rate_limited_replies_wait_and_arrive(
    bot: RunningBot, citizen: Citizen, synapse: Synapse, caplog: pytest.LogCaptureFixture
) -> None:
    room = await citizen.direct_chat(encrypted=True)
    await citizen.ask(room, "/start", "欢迎")
    synapse.limit_messages(citizen.bot_id, per_second=2, burst=1)
    start = citizen.mark()
    for text in ("/language en", "/start", "/search zeng lixin"):
        await citizen.say(room, text)
    said = await citizen.heard_until(start, "曾立新 (Zēng Lìxīn)", timeout=30)
    assert "from now on" in said and "Welcome to candibot." in said
    assert "429" in caplog.text, "the homeserver did not rate-limit the bot"
