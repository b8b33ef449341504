"""Fixtures for the Telegram adapter: the fake Bot API server, and the real adapter running
against it on the whole bot (SQLite and PostgreSQL, demo data)."""

from __future__ import annotations

import asyncio
import io
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from PIL import ExifTags, Image

from bot.adapters.telegram import MENU_LANGUAGES, TelegramAdapter, TelegramSettings
from bot.adapters.telegram.adapter import CommandMenus
from bot.app import App, build_app
from handlers.policy import Policy, ReportSetup
from storage.crypto import ModeratorKeys, generate
from storage.dataset import load_dataset, read_packaged
from storage.receipts import ReceiptHasher
from storage.unit import unit_factory
from tests.conftest import FIXED_NOW, TEST_KEY
from tests.telegram.fake_api import FakeBotAPI


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    api = await FakeBotAPI().start()
    yield api
    await api.stop()


def settings_for(fake: FakeBotAPI, **overrides: Any) -> TelegramSettings:
    """Settings pointing at ``fake``. Tests that are not about flood control lift the
    per-chat limits, so that a flow of ten steps does not take ten seconds."""
    values: dict[str, Any] = {
        "token": fake.token,
        "base_url": fake.base_url,
        "base_file_url": fake.base_file_url,
        "poll_timeout": 5,
        "retry_seconds": 10.0,
        "chat_per_second": 1000.0,
        "group_per_minute": 60_000.0,
    }
    return TelegramSettings(**(values | overrides))


def menus(app: App) -> CommandMenus:
    return {
        None: app.command_menu("zh_CN"),
        **{code: app.command_menu(language) for code, language in MENU_LANGUAGES.items()},
    }


@asynccontextmanager
async def running(
    app: App, fake: FakeBotAPI, *, open_chats: frozenset[int] = frozenset(), **settings: Any
) -> AsyncIterator[TelegramAdapter]:
    """The adapter running on ``app`` against ``fake`` until the block ends."""
    adapter = TelegramAdapter(
        settings_for(fake, **settings), app.cursors, menus(app), open_chats=open_chats
    )
    task = asyncio.create_task(adapter.run(app.sink_for(adapter)))
    ready = "setWebhook" if settings.get("webhook_url") else "getUpdates"
    waiting = asyncio.create_task(fake.wait_for(lambda: fake.count(ready) > 0, what=ready))
    await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiting.cancel()
        task.result()  # raises what stopped it
    await waiting
    try:
        yield adapter
    finally:
        await adapter.stop()
        await asyncio.wait_for(task, 15)


@pytest.fixture
def report_keys() -> ModeratorKeys:
    private = generate()
    return ModeratorKeys(private.public_key, private)


@pytest.fixture
async def reporting(db_url: str, report_keys: ModeratorKeys) -> AsyncIterator[App]:
    """The bot with demo data and reports set up (cheap receipt hashes)."""
    keys = report_keys
    policy = Policy(
        clock=lambda: FIXED_NOW,
        reports=ReportSetup(keys=keys, hasher=ReceiptHasher(b"s" * 16, time_cost=1, memory_kib=8)),
    )
    app = await build_app(db_url, TEST_KEY, migrate=False, policy=policy)
    async with unit_factory(app.engine)() as unit:
        await load_dataset(unit.session, read_packaged())
    yield app
    await app.close()


def gps_jpeg() -> bytes:
    """A small JPEG carrying a camera make and GPS position in its EXIF."""
    image = Image.new("RGB", (64, 48), "red")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (30.0, 15.0, 7.5)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
