"""Connection settings for the bulk work of an import, and back to how they were after.

SQLite: a large page cache for the database and for the temporary (staging) tables,
whose default is 2 MB, and helper threads for the sorts of index builds. Durability
settings (WAL, ``synchronous=NORMAL``) stay as they are: the import is still one
transaction that either commits whole or leaves nothing.

PostgreSQL: memory for sorts, hashes and index builds, for this transaction only; and
fresh planner statistics for the tables written, so that the bot's queries are planned
for millions of rows from the moment the import commits (without them a name search
took 150 ms at 1 million candidacies, and 3 ms with them).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection

#: KiB of page cache each, for the database and for the staging tables.
SQLITE_CACHE_KIB = 512 * 1024
SQLITE = {
    "main.cache_size": f"-{SQLITE_CACHE_KIB}",
    "temp.cache_size": f"-{SQLITE_CACHE_KIB}",
    "threads": "2",
}
POSTGRESQL = {"work_mem": "256MB", "maintenance_work_mem": "512MB"}


@asynccontextmanager
async def bulk_settings(connection: AsyncConnection) -> AsyncIterator[None]:
    """Applies the settings above inside the connection's transaction."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        for name, value in POSTGRESQL.items():
            await connection.exec_driver_sql(f"SET LOCAL {name} = '{value}'")
        yield
        return
    if dialect != "sqlite":
        yield
        return
    saved: dict[str, object] = {}
    for name, value in SQLITE.items():
        saved[name] = (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()
        await connection.exec_driver_sql(f"PRAGMA {name}={value}")
    try:
        yield
    finally:
        for name, before in saved.items():
            await connection.exec_driver_sql(f"PRAGMA {name}={before}")


async def refresh_statistics(connection: AsyncConnection, tables: Iterable[str]) -> None:
    """``ANALYZE`` on PostgreSQL, inside the transaction. Not on SQLite, whose planner
    needs none here, and where it would add a ``sqlite_stat1`` table to the schema."""
    if connection.dialect.name == "postgresql":
        await connection.exec_driver_sql(f"ANALYZE {', '.join(sorted(tables))}")
