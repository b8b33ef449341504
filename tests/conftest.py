"""Shared fixtures: real SQLite files and the local PostgreSQL, never a mock of our code.

``db_url`` runs a test once on SQLite and once on PostgreSQL. PostgreSQL is
used when CANDIBOT_TEST_POSTGRES_URL is set; each test gets a schema of its own.
Unset, those runs are skipped, unless CI=true, where a missing or unreachable
PostgreSQL fails the run.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.memory import MemoryAdapter
from bot.app import App, build_app
from bot.core.limits import Limits
from handlers.policy import Policy
from storage.dataset import load_dataset, read_packaged
from storage.db import make_engine, upgrade
from storage.unit import unit_factory

PG_URL = os.environ.get("CANDIBOT_TEST_POSTGRES_URL")
IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_KEY = bytes(range(32))


@pytest.fixture(autouse=True)
def unlimited_senders(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests send a flow's events faster than any person; the per-sender rate limit is
    tested where it is named (``Limits`` passed explicitly), not tripped elsewhere."""
    monkeypatch.setattr("bot.app.DEFAULT_LIMITS", Limits(burst=100_000, per_minute=100_000))
    monkeypatch.setenv("CANDIBOT_RATE_BURST", "100000")
    monkeypatch.setenv("CANDIBOT_RATE_PER_MINUTE", "100000")


def _postgres_available() -> bool:
    if not PG_URL:
        if IN_CI:
            pytest.fail("CI=true but CANDIBOT_TEST_POSTGRES_URL is not set")
        return False
    return True


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy, which is faster than migrating."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite"

    async def build() -> None:
        engine = make_engine(f"sqlite:///{path}")
        await upgrade(engine)
        await engine.dispose()  # closing the last connection folds the WAL into the file

    asyncio.run(build())
    return path


async def _new_pg_schema() -> tuple[str, str]:
    assert PG_URL
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OSError as exc:  # connection refused and the like
        await admin.dispose()
        if IN_CI:
            pytest.fail(f"PostgreSQL unreachable in CI: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    await admin.dispose()
    return schema, f"{PG_URL}?search_path={schema}"


async def _drop_pg_schema(schema: str) -> None:
    assert PG_URL
    admin = make_engine(PG_URL)
    async with admin.begin() as connection:
        await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await admin.dispose()


#: What a schema's shape is read from: every table, column, index and constraint by name.
_SHAPE = text("""
    SELECT md5(coalesce((SELECT string_agg(table_name || '.' || column_name || ':' || data_type,
                                           ',' ORDER BY table_name, column_name)
                         FROM information_schema.columns WHERE table_schema = :s), '')
            || coalesce((SELECT string_agg(indexname, ',' ORDER BY indexname)
                         FROM pg_indexes WHERE schemaname = :s), '')
            || coalesce((SELECT string_agg(c.conname, ',' ORDER BY c.conname)
                         FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
                         WHERE n.nspname = :s), ''))
""")


class _PostgresSchemas:
    """Migrated schemas handed from test to test, emptied in between.

    Migrating a new schema costs about a second and there are hundreds of PostgreSQL
    runs; emptying one with TRUNCATE costs a few milliseconds. A test that leaves its
    schema in another shape (an import that failed between dropping and rebuilding an
    index, say) gets its schema dropped rather than passed on.
    """

    def __init__(self) -> None:
        self.free: list[str] = []
        self.made: set[str] = set()
        self.shape: str | None = None
        self.tables: list[str] = []

    async def _read_shape(self, engine: AsyncEngine, schema: str) -> str:
        async with engine.connect() as connection:
            return str((await connection.execute(_SHAPE, {"s": schema})).scalar_one())

    async def take(self) -> tuple[str, str]:
        assert PG_URL
        while self.free:
            schema = self.free.pop()
            url = f"{PG_URL}?search_path={schema}"
            engine = make_engine(url)
            try:
                async with engine.begin() as connection:
                    await connection.execute(text("SET LOCAL lock_timeout = '5s'"))
                    tables = ", ".join(f'"{schema}"."{table}"' for table in self.tables)
                    await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
                return schema, url
            except Exception:  # a lock still held by a killed test's session: start afresh
                await _drop_pg_schema(schema)
                self.made.discard(schema)
            finally:
                await engine.dispose()
        schema, url = await _new_pg_schema()
        self.made.add(schema)
        engine = make_engine(url)
        try:
            await upgrade(engine)
            if self.shape is None:
                self.shape = await self._read_shape(engine, schema)
                async with engine.connect() as connection:
                    rows = await connection.execute(
                        text("SELECT tablename FROM pg_tables WHERE schemaname = :s "
                             "AND tablename <> 'alembic_version' ORDER BY tablename"),
                        {"s": schema},
                    )  # fmt: skip
                    self.tables = [row[0] for row in rows]
        finally:
            await engine.dispose()
        return schema, url

    async def give_back(self, schema: str) -> None:
        assert PG_URL
        engine = make_engine(f"{PG_URL}?search_path={schema}")
        try:
            same = await self._read_shape(engine, schema) == self.shape
        finally:
            await engine.dispose()
        if same:
            self.free.append(schema)
        else:
            await _drop_pg_schema(schema)
            self.made.discard(schema)


_PG_SCHEMAS = _PostgresSchemas()


@pytest.fixture(scope="session", autouse=True)
def _drop_postgres_schemas() -> Iterator[None]:
    yield
    for schema in list(_PG_SCHEMAS.made):
        asyncio.run(_drop_pg_schema(schema))


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> AsyncIterator[str]:
    """A migrated, empty database: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        path = tmp_path / "candibot.sqlite"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    if not _postgres_available():
        pytest.skip("CANDIBOT_TEST_POSTGRES_URL is not set")
    schema, url = await _PG_SCHEMAS.take()
    try:
        yield url
    finally:
        await _PG_SCHEMAS.give_back(schema)


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def demo_engine(engine: AsyncEngine) -> AsyncEngine:
    async with unit_factory(engine)() as unit:
        await load_dataset(unit.session, read_packaged())
    return engine


#: Tests read the demo's dates as of this moment, whenever they run.
FIXED_NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)  # noon in Beijing


def fixed_policy(now: datetime = FIXED_NOW, **options: bool) -> Policy:
    return Policy(clock=lambda: now, **options)


@pytest.fixture
async def app(db_url: str) -> AsyncIterator[App]:
    """The whole bot on a database holding the demo dataset, on 2026-11-28."""
    app = await build_app(db_url, TEST_KEY, migrate=False, policy=fixed_policy())
    async with unit_factory(app.engine)() as unit:
        await load_dataset(unit.session, read_packaged())
    yield app
    await app.close()


@pytest.fixture
def chat(app: App) -> Iterator[MemoryAdapter]:
    """An in-memory chat wired to ``app``: ``await chat.say("/start")``."""
    adapter = MemoryAdapter()
    adapter.attach(app.sink_for(adapter))
    yield adapter
