"""Bad input gets a clear answer in the user's language and leaves nothing behind."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.adapters.memory import MemoryAdapter
from bot.app import App
from bot.core.events import ButtonAction, TextMessage
from storage.models import Conversation
from tests.helpers import texts


async def _conversations(app: App) -> int:
    async with app.engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(Conversation)) or 0)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "That message is too long. Please keep it under 4000 characters."),
        ("zh", "这条消息太长了。请控制在 4000 个字符以内。"),
    ],
)
async def test_overlong_message_is_refused(
    chat: MemoryAdapter, language: str, expected: str
) -> None:
    assert expected in texts(await chat.say("王" * 4001, language=language))


async def test_overlong_command_arguments_are_refused(chat: MemoryAdapter) -> None:
    assert "too long" in texts(await chat.say("/search " + "a" * 5000, language="en"))


async def test_control_characters_are_refused(chat: MemoryAdapter) -> None:
    assert "control characters" in texts(await chat.say("wang\x00\x1b[31m", language="en"))
    assert "控制字符" in texts(await chat.say("wang\x07", language="zh"))


async def test_undecodable_text_is_refused(chat: MemoryAdapter) -> None:
    c, s = chat.refs("u1")
    event = TextMessage(
        chat=c, sender=s, language="en", event_id="x1", text="\ufffd", undecodable=True
    )
    assert "not valid UTF-8" in texts(await chat.inject(event))


async def test_button_payload_of_no_feature_has_expired(chat: MemoryAdapter) -> None:
    assert "That button has expired" in texts(await chat.press("gone:1", language="en"))
    assert "这个按钮已失效" in texts(await chat.press("cand:abc", language="zh"))


async def test_paging_button_after_the_search_was_forgotten_has_expired(
    chat: MemoryAdapter,
) -> None:
    await chat.say("/search wang", language="en")
    await chat.say("/cancel", language="en")
    assert "expired" in texts(await chat.press("srch:8", language="en"))


async def test_redelivered_event_is_answered_once(chat: MemoryAdapter) -> None:
    c, s = chat.refs("u1")
    event = ButtonAction(chat=c, sender=s, language="en", event_id="dup", payload="menu:help")
    assert texts(await chat.inject(event))
    assert await chat.inject(event) == []


async def test_a_failing_handler_leaves_no_state_behind(app: App, chat: MemoryAdapter) -> None:
    @app.dispatcher.router.command("explode")
    async def explode(ctx: object) -> None:
        ctx.state = ctx.state.at("half.written", draft="x")  # type: ignore[attr-defined]
        raise RuntimeError("boom")

    replies = await chat.say("/explode", language="en")
    assert "something went wrong on my side" in texts(replies)
    assert await _conversations(app) == 0


async def test_empty_text_gets_help(chat: MemoryAdapter) -> None:
    assert "/help" in texts(await chat.say("   ", language="en"))
