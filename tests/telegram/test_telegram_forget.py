"""/forget through the real Telegram adapter and the fake Bot API server: the chat's
followed places go with the sender's language, and the command menu offers it."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.app import App
from storage.models import Subscription, UserPreference
from tests.telegram.conftest import running
from tests.telegram.fake_api import FakeBotAPI

CAROL = 5550007


async def _rows(app: App, model: type) -> int:
    async with app.engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(model)) or 0)


async def test_forget_on_telegram_deletes_the_chats_followed_places(
    app: App, fake: FakeBotAPI
) -> None:
    async with running(app, fake):
        fake.message(CAROL, "/language en", language="en")
        fake.message(CAROL, "/subscribe 330106", language="en")
        await fake.replies(CAROL, 2)
        assert await _rows(app, Subscription) == 1 and await _rows(app, UserPreference) == 1
        fake.message(CAROL, "/forget", language="en")
        replies = await fake.replies(CAROL, 3)
    said = replies[-1].text
    assert "Deleted: the places this chat followed (1), and with them this chat's id." in said
    assert "What I cannot delete:" in said
    assert await _rows(app, Subscription) == 0 and await _rows(app, UserPreference) == 0
    assert "forget" in {c["command"] for c in fake.commands["en"]}
