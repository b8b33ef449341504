"""Fixtures for the Matrix tests: one real Synapse per session, fresh accounts per test.

Synapse (``matrix-synapse`` from the dev extra) runs as a subprocess; the tests
skip when it is not installed or does not start, unless CI=true, where that
fails the run. The bot runs the real adapter on a SQLite copy of the demo
database; the citizen is an ordinary matrix-nio client.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.adapters.matrix import MatrixAdapter, MatrixSettings
from bot.app import App, build_app
from handlers.policy import Policy, ReportSetup
from storage.crypto import ModeratorKeys, generate
from storage.dataset import load_dataset, read_packaged
from storage.receipts import ReceiptHasher
from storage.reports import Caps
from storage.unit import unit_factory
from tests.conftest import FIXED_NOW, IN_CI, TEST_KEY
from tests.matrix.citizen import Citizen
from tests.matrix.synapse import Synapse, SynapseUnavailable

PASSWORD = "correct horse battery staple"


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true but Synapse is unavailable: {reason}")
    pytest.skip(f"Synapse is unavailable: {reason}")


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    if importlib.util.find_spec("synapse") is None:
        _unavailable("matrix-synapse is not installed (pip install -e '.[dev]')")
    server = Synapse(tmp_path_factory.mktemp("synapse"))
    try:
        server.start()
    except SynapseUnavailable as exc:
        _unavailable(str(exc))
    yield server
    server.stop()


@pytest.fixture
def bot_id(synapse: Synapse) -> str:
    return synapse.register(f"bot{secrets.token_hex(4)}", PASSWORD)


@pytest.fixture
def moderator_keys() -> ModeratorKeys:
    private = generate()
    return ModeratorKeys(private.public_key, private)


@pytest.fixture
async def matrix_app(
    tmp_path: Path, sqlite_template: Path, moderator_keys: ModeratorKeys
) -> AsyncIterator[App]:
    """The bot on SQLite with the demo data, taking reports (cheap receipt hashes)."""
    path = tmp_path / "candibot.sqlite"
    shutil.copyfile(sqlite_template, path)
    policy = Policy(
        clock=lambda: FIXED_NOW,
        reports=ReportSetup(
            keys=moderator_keys,
            hasher=ReceiptHasher(b"s" * 16, time_cost=1, memory_kib=8),
            caps=Caps(),
        ),
    )
    app = await build_app(f"sqlite:///{path}", TEST_KEY, migrate=False, policy=policy)
    async with unit_factory(app.engine)() as unit:
        await load_dataset(unit.session, read_packaged())
    yield app
    await app.close()


class RunningBot:
    """The Matrix adapter running as ``candibot run`` would run it; restartable."""

    def __init__(self, app: App, settings: MatrixSettings) -> None:
        self.app = app
        self.settings = settings
        self.adapter: MatrixAdapter | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        adapter = MatrixAdapter(self.settings, self.app.cursors)
        self.adapter = adapter
        self._task = asyncio.create_task(adapter.run(self.app.sink_for(adapter)))

    async def stop(self, timeout: float = 15) -> None:
        if self.adapter is None or self._task is None:
            return
        await self.adapter.stop()
        try:
            await asyncio.wait_for(self._task, timeout)
        finally:
            self.adapter, self._task = None, None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def synced(self, timeout: float = 20) -> None:
        """Returns once the bot has stored a sync token (it has synced at least once)."""

        async def wait() -> None:
            while await self.app.cursors.load("matrix", "since") is None:
                await asyncio.sleep(0.1)

        await asyncio.wait_for(wait(), timeout)


@pytest.fixture
def bot_settings(synapse: Synapse, bot_id: str, tmp_path: Path) -> MatrixSettings:
    return MatrixSettings(
        homeserver=synapse.url,
        user=bot_id,
        password=PASSWORD,
        store=tmp_path / "bot-store",
        sync_timeout_ms=5_000,
        max_backoff_seconds=1.0,
        key_wait_seconds=10.0,
        store_passphrase="a passphrase for the crypto store",
    )


@pytest.fixture
async def bot(bot_settings: MatrixSettings, matrix_app: App) -> AsyncIterator[RunningBot]:
    running = RunningBot(matrix_app, bot_settings)
    await running.start()
    yield running
    with contextlib.suppress(TimeoutError):
        await running.stop()


@pytest.fixture
async def citizen(synapse: Synapse, bot_id: str, tmp_path: Path) -> AsyncIterator[Citizen]:
    user_id = synapse.register(f"citizen{secrets.token_hex(4)}", PASSWORD)
    person = Citizen(synapse.url, user_id, PASSWORD, tmp_path / "citizen-store")
    await person.start(bot_id)
    yield person
    await person.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """All Matrix tests on one worker under ``pytest -n``: one Synapse start, not one each."""
    for item in items:
        if "tests/matrix/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.xdist_group("synapse"))
