"""Webhook mode: the secret token is checked on every request, the answer goes out once the
update was handled, and the bot does not poll."""

from __future__ import annotations

import aiohttp

from bot.app import App
from tests.telegram.conftest import free_port, running
from tests.telegram.fake_api import FakeBotAPI

ALICE = 5550001
SECRET = "s3cret_token-for-tests"


async def test_webhook_updates_with_the_secret_are_handled_before_the_answer(
    app: App, fake: FakeBotAPI
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    async with running(app, fake, webhook_url=url, webhook_secret=SECRET, listen_port=port):
        assert fake.webhook is not None
        assert fake.webhook["url"] == url and fake.webhook["secret_token"] == SECRET
        assert fake.webhook["allowed_updates"] == ["message", "callback_query"]
        status = await fake.post_webhook(fake.update_body(ALICE, "/start", language="en"))
        assert status == 200
        assert "Welcome to candibot." in fake.texts(ALICE)[0]  # handled before the 200
    assert fake.count("getUpdates") == 0


async def test_webhook_requests_without_the_right_secret_are_refused(
    app: App, fake: FakeBotAPI
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    async with running(app, fake, webhook_url=url, webhook_secret=SECRET, listen_port=port):
        update = fake.update_body(ALICE, "/start", language="en")
        assert await fake.post_webhook(update, secret="") == 403
        assert await fake.post_webhook(update, secret="guess") == 403
        async with aiohttp.ClientSession() as session:
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            async with session.post(url, data=b"{not json", headers=headers) as response:
                assert response.status == 400
            async with session.post(url.replace("hook", "other"), headers=headers) as response:
                assert response.status == 404
    assert fake.texts(ALICE) == []
