"""A per-sender rate limit on every event, counted in memory under the day's random
pseudonym: the flooder hears "slow down" once, in their language, and nobody else
notices."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.adapters.memory import MemoryAdapter
from bot.app import App, build_app
from bot.core.limits import Limits
from tests.conftest import FIXED_NOW, TEST_KEY, fixed_policy
from tests.helpers import texts


@pytest.fixture
async def limited(db_url: str) -> AsyncIterator[App]:
    app = await build_app(
        db_url,
        TEST_KEY,
        migrate=False,
        policy=fixed_policy(),
        limits=Limits(burst=5, per_minute=8),
        clock=lambda: FIXED_NOW,  # the windows are fixed; the test must not straddle one
    )
    yield app
    await app.close()


@pytest.mark.parametrize(
    ("language", "slow_down"),
    [("zh-hans", "请等一分钟再试"), ("en", "Please wait a minute")],
)
async def test_a_flooding_sender_is_told_once_then_ignored(
    limited: App, language: str, slow_down: str
) -> None:
    chat = MemoryAdapter(language=language)
    chat.attach(limited.sink_for(chat))
    answers = [texts(await chat.say("/help", user="flood")) for _ in range(9)]
    assert all(answer and slow_down not in answer for answer in answers[:5])
    assert slow_down in answers[5]
    assert answers[6:] == ["", "", ""]
    # Another sender is served as usual.
    assert "/report" in texts(await chat.say("/help", user="someone-else"))


async def test_the_limit_writes_nothing_to_the_database(limited: App) -> None:
    from sqlalchemy import func, select

    from storage.models import ProcessedEvent

    chat = MemoryAdapter(language="en")
    chat.attach(limited.sink_for(chat))
    for _ in range(9):
        await chat.say("/help", user="flood")
    async with limited.engine.connect() as connection:
        handled = await connection.scalar(select(func.count()).select_from(ProcessedEvent))
    assert handled == 5  # the refused events were dropped before the transaction
