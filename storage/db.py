"""Engines for SQLite and PostgreSQL, tuned once here, and schema migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage.sqlite_inline import connector

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

#: How long a SQLite writer waits for another before giving up.
SQLITE_BUSY_TIMEOUT_MS = 10_000


def async_url(url: str) -> str:
    """Accept plain ``sqlite:///`` and ``postgresql://`` URLs and pick the async drivers."""
    parsed = make_url(url)
    driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}.get(
        parsed.drivername
    )
    if driver is not None:
        parsed = parsed.set(drivername=driver)
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine that never puts statement parameters (user text) into error messages.

    A PostgreSQL URL may name a schema to live in: ``...?search_path=candibot``.
    """
    parsed = make_url(async_url(url))
    if parsed.get_backend_name() == "postgresql" and "search_path" in parsed.query:
        server_settings = {"search_path": str(parsed.query["search_path"])}
        kwargs.setdefault("connect_args", {}).setdefault("server_settings", server_settings)
        parsed = parsed.difference_update_query(["search_path"])
    if parsed.get_backend_name() == "sqlite" and sqlite3.sqlite_version_info < (3, 35):
        # RETURNING (storage/event_sql.py) came with 3.35, in 2021.
        raise RuntimeError(f"SQLite {sqlite3.sqlite_version} is too old; candibot needs 3.35")
    if parsed.get_backend_name() == "sqlite" and not parsed.query and "async_creator" not in kwargs:
        kwargs["async_creator"] = connector(parsed.database or ":memory:", SQLITE_BUSY_TIMEOUT_MS)
    engine = create_async_engine(parsed, hide_parameters=True, **kwargs)
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted rows (purged reports) are overwritten, not left in free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        # A write-ahead log is cut back to nothing whenever it restarts, rather than
        # keeping old pages beyond its end (see ``scrub``).
        cursor.execute("PRAGMA journal_size_limit=0")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Waits for the write lock happen off the event loop (storage.sqlite_inline).
        cursor.execute("PRAGMA busy_timeout=0")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # IMMEDIATE takes the write lock up front: two transactions that read and
        # then write can then never deadlock and fail; the second one waits.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


async def scrub(engine: AsyncEngine) -> bool:
    """Fold SQLite's write-ahead log into the database and cut it to nothing, so that no
    older copy of a page (and the order of writes) lingers in the ``-wal`` file; True
    once done. PostgreSQL's own log is its business (docs/THREAT_MODEL.md)."""
    if engine.dialect.name != "sqlite":
        return True
    async with engine.connect() as connection:
        # Outside SQLAlchemy's transaction: a checkpoint cannot finish under a reader.
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        cursor = await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        busy, _, _ = await cursor.fetchone()
        await cursor.close()
    return not busy


def alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (Alembic), in one transaction where the database allows."""
    from alembic import command

    def run(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def current_revision(engine: AsyncEngine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(read)
