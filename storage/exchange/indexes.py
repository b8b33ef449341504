"""Indexes and constraints set aside while an empty table is bulk-filled, and created
again afterwards from their own stored definitions: a sorted index build instead of
millions of random B-tree inserts, one validating join instead of a trigger per row.
Inside the import's transaction, so a failed import leaves them as they were, and the
schema ends exactly as it began (the database's own DDL, re-run).

SQLite: plain indexes only (its constraints are part of ``CREATE TABLE``).
PostgreSQL: plain indexes, unique constraints no foreign key relies on, and foreign keys
to tables the import writes itself; re-adding them checks every row, so a violation
still fails the import. Primary keys always stay. While set aside, the tables (and on
PostgreSQL the tables those foreign keys point to) are locked until the import commits:
the bot's searches wait for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Table, select, text
from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True)
class Deferred:
    #: How to drop it and how to create it again.
    drop: str
    create: str
    #: Indexes are created before constraints (a foreign key is checked last).
    order: int


async def _sqlite(connection: AsyncConnection, table: str) -> list[Deferred]:
    # origin "c": made by CREATE INDEX, not by a UNIQUE or PRIMARY KEY constraint.
    listed = await connection.exec_driver_sql(f'PRAGMA index_list("{table}")')
    names = [row.name for row in listed if row.unique == 0 and row.origin == "c"]
    found = []
    for name in names:
        sql = await connection.scalar(
            text("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"),
            {"name": name},
        )
        if sql:
            found.append(Deferred(f'DROP INDEX "{name}"', sql, 0))
    return found


_PG_INDEXES = text(
    "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), "
    "pg_get_indexdef(i.indexrelid) "
    "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE i.indrelid = to_regclass(:table) AND NOT i.indisunique "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
    "ORDER BY c.relname"
)
_PG_CONSTRAINTS = text(
    "SELECT to_regclass(:table)::text, quote_ident(k.conname), k.contype::text, "
    "pg_get_constraintdef(k.oid), r.relname "
    "FROM pg_constraint k LEFT JOIN pg_class r ON r.oid = k.confrelid "
    "WHERE k.conrelid = to_regclass(:table) AND k.contype IN ('u', 'f') "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint f "
    "                WHERE f.contype = 'f' AND f.conindid = k.conindid AND k.contype = 'u') "
    "ORDER BY k.conname"
)


async def _postgresql(connection: AsyncConnection, table: str, written: set[str]) -> list[Deferred]:
    found = [
        Deferred(f"DROP INDEX {name}", definition, 0)
        for name, definition in await connection.execute(_PG_INDEXES, {"table": table})
    ]
    for owner, name, kind, definition, target in await connection.execute(
        _PG_CONSTRAINTS, {"table": table}
    ):
        if kind == "f" and target not in written:
            continue
        found.append(
            Deferred(
                f"ALTER TABLE {owner} DROP CONSTRAINT {name}",
                f"ALTER TABLE {owner} ADD CONSTRAINT {name} {definition}",
                1 if kind == "u" else 2,
            )
        )
    return found


class DeferredIndexes:
    """``async with DeferredIndexes(connection, tables, written):`` sets aside what is
    described above for those ``tables`` that are empty, and creates it again on
    leaving without error. ``written``: the names of every table the import writes."""

    def __init__(
        self, connection: AsyncConnection, tables: Iterable[Table], written: Iterable[str]
    ) -> None:
        self.connection = connection
        self.tables = list(tables)
        self.written = set(written)
        self.deferred: list[Deferred] = []

    async def _found(self, table: Table) -> list[Deferred]:
        if self.connection.dialect.name == "postgresql":
            return await _postgresql(self.connection, table.name, self.written)
        return await _sqlite(self.connection, table.name)

    async def __aenter__(self) -> DeferredIndexes:
        for table in self.tables:
            if await self.connection.scalar(select(table.c[0]).limit(1)) is not None:
                continue
            for item in await self._found(table):
                await self.connection.exec_driver_sql(item.drop)
                self.deferred.append(item)
        return self

    async def __aexit__(self, kind: object, error: object, trace: object) -> None:
        if error is None:
            await self.rebuild()

    async def rebuild(self) -> None:
        for item in sorted(self.deferred, key=lambda item: item.order):
            await self.connection.exec_driver_sql(item.create)
        self.deferred = []
