"""The web chat running for real on a port of its own, on the whole bot (demo data,
reports set up with cheap receipt hashes), with a clock the tests move by hand."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, async_playwright

from bot.adapters.web import WebAdapter, WebOptions
from bot.app import App, build_app
from bot.core.ephemeral import MemoryEphemeral
from bot.core.limits import Limits
from handlers.policy import Policy, ReportSetup
from storage.crypto import ModeratorKeys, generate
from storage.dataset import load_dataset, read_packaged
from storage.receipts import ReceiptHasher
from storage.unit import unit_factory
from tests.conftest import FIXED_NOW, TEST_KEY
from tests.helpers import Clock


@pytest.fixture
def clock() -> Clock:
    """The ephemeral store's clock: sessions expire when a test moves it."""
    return Clock()


@pytest.fixture
def report_keys() -> ModeratorKeys:
    private = generate()
    return ModeratorKeys(private.public_key, private)


async def web_app(url: str, keys: ModeratorKeys, clock: Clock) -> App:
    policy = Policy(
        clock=lambda: FIXED_NOW,
        reports=ReportSetup(keys=keys, hasher=ReceiptHasher(b"s" * 16, time_cost=1, memory_kib=8)),
    )
    # Tests send faster than any person; the core's own limit is tested where it is named.
    app = await build_app(
        url, TEST_KEY, migrate=False, policy=policy, ephemeral=MemoryEphemeral(clock),
        limits=Limits(burst=100_000, per_minute=100_000),
    )  # fmt: skip
    async with unit_factory(app.engine)() as unit:
        await load_dataset(unit.session, read_packaged())
    return app


@pytest.fixture
async def app(db_url: str, report_keys: ModeratorKeys, clock: Clock) -> AsyncIterator[App]:
    app = await web_app(db_url, report_keys, clock)
    yield app
    await app.close()


@asynccontextmanager
async def serving(app: App, **options: Any) -> AsyncIterator[WebAdapter]:
    """The web chat on ``app`` on a free port until the block ends."""
    adapter = WebAdapter(WebOptions(port=0, **options), app.ephemeral)
    task = asyncio.create_task(adapter.run(app.sink_for(adapter)))
    ready = asyncio.create_task(adapter.ready.wait())
    await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        ready.cancel()
        task.result()  # raises what stopped it
    try:
        yield adapter
    finally:
        await adapter.stop()
        await asyncio.wait_for(task, 15)


CHROMIUM = Path("/usr/bin/chromium")
#: For modules that drive Debian's chromium (never a downloaded browser): one browser
#: and one bot (SQLite) serve the whole module.
IN_CHROMIUM = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.skipif(
        not CHROMIUM.exists() and os.environ.get("CI", "").lower() != "true",
        reason="chromium is not installed (apt-get install chromium; .ci/run does)",
    ),
]
PHONE = {"width": 360, "height": 740}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield browser
        await browser.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> AsyncIterator[WebAdapter]:
    path = tmp_path_factory.mktemp("web") / "candibot.sqlite"
    shutil.copyfile(sqlite_template, path)
    private = generate()
    app = await web_app(f"sqlite:///{path}", ModeratorKeys(private.public_key, private), Clock())
    async with serving(app) as adapter:
        yield adapter
    await app.close()
