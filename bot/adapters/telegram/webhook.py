"""Webhook mode: Telegram posts updates to an HTTP server of ours.

Every request must carry the secret token in ``X-Telegram-Bot-Api-Secret-Token``;
others are refused with 403. The answer (200) goes out only once the update has
been handled, so an update whose handling a crash interrupted is posted again by
Telegram, and the processed-event record makes a repeat a no-op. Several worker
processes behind a reverse proxy can share one database this way.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from telegram import Bot, Update

from bot.adapters.telegram.incoming import ALLOWED_UPDATES
from bot.adapters.telegram.settings import TelegramSettings

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: Updates are small; photos come as file ids, not bytes.
MAX_BODY = 1024 * 1024

#: Handles one update; returns once it has been handled.
Handle = Callable[[Update], Awaitable[None]]


class WebhookServer:
    def __init__(self, bot: Bot, settings: TelegramSettings, handle: Handle) -> None:
        assert settings.webhook_url is not None and settings.webhook_secret is not None
        self._bot, self._settings, self._handle = bot, settings, handle
        self._secret = settings.webhook_secret.get_secret_value().encode()
        #: Listening, and the webhook set (``/healthz``).
        self.listening = False

    async def run(self, stopping: asyncio.Event) -> None:
        """Serve until ``stopping`` is set; registers the webhook with Telegram first."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(self._settings.webhook_path, self._receive)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._settings.listen_host, self._settings.listen_port)
            await site.start()
            if self._settings.set_webhook:
                await self._bot.set_webhook(
                    self._settings.webhook_url or "",
                    secret_token=self._secret.decode(),
                    allowed_updates=ALLOWED_UPDATES,
                    max_connections=self._settings.webhook_max_connections,
                )
            self.listening = True
            await stopping.wait()
        finally:
            self.listening = False
            await runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            log.warning("refused a webhook request without the right secret token")
            return web.Response(status=403)
        try:
            update = Update.de_json(json.loads(await request.read()), self._bot)
        except Exception:  # not JSON, or not an update
            return web.Response(status=400)
        await self._handle(update)
        return web.Response(status=200)
