"""The Telegram adapter's settings, from ``CANDIBOT_TELEGRAM_*`` environment variables.

The adapter is on when ``CANDIBOT_TELEGRAM_TOKEN`` is set. It polls by default;
``CANDIBOT_TELEGRAM_WEBHOOK_URL`` switches it to webhook mode.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TELEGRAM_API = "https://api.telegram.org/bot"
TELEGRAM_FILES = "https://api.telegram.org/file/bot"

#: What Telegram accepts as a webhook's secret token.
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")


class TelegramSettings(BaseSettings):
    # Errors must not echo the input: it holds the token.
    model_config = SettingsConfigDict(
        env_prefix="CANDIBOT_TELEGRAM_", extra="ignore", hide_input_in_errors=True
    )

    #: The bot's token from @BotFather. No token, no Telegram adapter.
    token: SecretStr | None = None
    #: Another Bot API server (a self-hosted one, or a test's fake), ending in ``/bot``.
    base_url: str = TELEGRAM_API
    #: Where that server serves files, ending in ``/file/bot``; derived from ``base_url``
    #: when only that is set, so that downloads never go elsewhere.
    base_file_url: str | None = None

    #: The public HTTPS address Telegram posts updates to; set, the bot takes webhooks.
    webhook_url: str | None = None
    #: Checked on every webhook request; required in webhook mode (1-256 of A-Z a-z 0-9 _ -).
    webhook_secret: SecretStr | None = None
    #: Where the webhook server listens; a reverse proxy forwards ``webhook_url`` to it.
    listen_host: str = "127.0.0.1"
    listen_port: int = 8080
    #: How many webhook requests Telegram may have open with us at once.
    webhook_max_connections: int = 40
    #: Register the webhook with Telegram at start (every worker may; it is idempotent).
    set_webhook: bool = True

    #: Seconds a long poll waits for updates.
    poll_timeout: int = 30
    #: Updates handed to the core at once (each chat's one at a time, in order); sending
    #: replies does not count. Default 8. (On SQLite the core still runs one transaction
    #: at a time; the others' slow work, a receipt's hash, goes on meanwhile.)
    concurrency: int = 8
    #: Set the command menu (setMyCommands) in Chinese and English at start.
    set_commands: bool = True

    # Flood control: Telegram's limits, with a small burst.
    global_per_second: float = 30.0
    chat_per_second: float = 1.0
    group_per_minute: float = 20.0
    burst: int = 3
    #: How long 5xx and network errors are retried (with backoff) before giving up.
    retry_seconds: float = 60.0

    @field_validator("base_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        return _ending(value, "/bot")

    @field_validator("base_file_url")
    @classmethod
    def _file_url(cls, value: str | None) -> str | None:
        return _ending(value, "/file/bot") if value else None

    @model_validator(mode="after")
    def _derive_file_url(self) -> TelegramSettings:
        if self.base_file_url is None:
            if self.base_url == TELEGRAM_API:
                self.base_file_url = TELEGRAM_FILES
            else:
                self.base_file_url = self.base_url.removesuffix("/bot") + "/file/bot"
        return self

    @model_validator(mode="after")
    def _check_webhook(self) -> TelegramSettings:
        if self.webhook_url is None:
            return self
        if self.webhook_secret is None:
            raise ValueError("CANDIBOT_TELEGRAM_WEBHOOK_SECRET is required with a webhook URL")
        if not SECRET_PATTERN.fullmatch(self.webhook_secret.get_secret_value()):
            raise ValueError("the webhook secret must be 1-256 of A-Z, a-z, 0-9, _ and -")
        if urlsplit(self.webhook_url).scheme not in ("http", "https"):
            raise ValueError("the webhook URL must be an http(s) URL")
        return self

    @property
    def webhook_path(self) -> str:
        """The path the webhook server answers, taken from ``webhook_url``."""
        return urlsplit(self.webhook_url or "").path or "/"

    @property
    def files_url(self) -> str:
        return self.base_file_url or TELEGRAM_FILES


def _ending(url: str, suffix: str) -> str:
    """``http://host:8081`` -> ``http://host:8081/bot``: the token is appended to it."""
    url = url.rstrip("/")
    return url if url.endswith(suffix) or "{token}" in url else url + suffix
