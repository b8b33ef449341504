"""Finding 4 of the seizure review: a report must not touch the ordinary conversation
row (keyed by the long-lived pseudonym), neither when it starts nor when it ends, or
the row's time would date the report."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.adapters.memory import MemoryAdapter
from bot.app import App
from storage.models import Conversation
from tests.helpers import payloads
from tests.staffed import attached, staffed_app
from tests.test_reports import SENDER, file_a_report


@pytest.fixture
async def bot(db_url: str) -> AsyncIterator[App]:
    app = await staffed_app(db_url)
    yield app
    await app.close()


async def _rows(app: App) -> list[tuple[object, ...]]:
    async with app.engine.connect() as connection:
        result = await connection.execute(
            select(Conversation.key, Conversation.step, Conversation.data, Conversation.updated_at)
        )
        return [tuple(row) for row in result]


@pytest.mark.parametrize("ending", ["send", "cancel"])
async def test_a_report_leaves_the_ordinary_conversation_row_untouched(
    bot: App, ending: str
) -> None:
    chat: MemoryAdapter = attached(bot)
    await chat.say("/area", user=SENDER)  # an ordinary flow, waiting for a place
    before = await _rows(bot)
    assert len(before) == 1 and before[0][1] == "area.ask"
    if ending == "send":
        await file_a_report(chat, photo=False)
    else:
        await chat.say("/report", user=SENDER)
        await chat.press("rpt:go", user=SENDER)
        await chat.press("rptc:violence", user=SENDER)
        await chat.press("rpt:cancel", user=SENDER)
    assert await _rows(bot) == before


async def test_a_command_during_a_report_keeps_the_draft_and_writes_no_row(bot: App) -> None:
    chat: MemoryAdapter = attached(bot)
    await chat.say("/report", user=SENDER)
    await chat.press("rpt:go", user=SENDER)
    assert await _rows(bot) == []
    answered = await chat.say("/area", user=SENDER)  # a question in the middle
    assert "rpt:resume" in payloads(answered)
    assert await _rows(bot) == []
    assert "rpta:" in payloads(await chat.press("rptc:violence", user=SENDER))
