"""Writing many rows fast: on PostgreSQL with ``COPY`` (asyncpg's binary copy), elsewhere
with an ``executemany`` of an ``insert()`` compiled once for the connection's dialect,
skipping SQLAlchemy's per-row parameter processing. Values must already be what the
driver takes (JSON columns as text, no dates)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncConnection


class BulkWriter:
    """Appends rows (tuples in ``columns`` order) to ``table`` inside the connection's
    transaction."""

    def __init__(self, connection: AsyncConnection, table: Table, columns: Sequence[str]) -> None:
        unknown = set(columns) - set(table.c.keys())
        if unknown:
            raise ValueError(f"{table.name} has no column {', '.join(sorted(unknown))}")
        self.connection = connection
        self.table = table
        self.columns = list(columns)
        self._copy = connection.dialect.name == "postgresql"
        compiled = insert(table).compile(dialect=connection.dialect, column_keys=self.columns)
        order = compiled.positiontup or []
        self._sql = str(compiled)
        self._reorder = [self.columns.index(name) for name in order]
        self._identity = self._reorder == list(range(len(self.columns)))

    async def write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self._copy:
            await self._copy_rows(rows)
            return
        if not self._identity:
            rows = [tuple(row[i] for i in self._reorder) for row in rows]
        await self.connection.exec_driver_sql(self._sql, list(rows))

    async def _copy_rows(self, rows: Sequence[tuple[Any, ...]]) -> None:
        raw = await self.connection.get_raw_connection()
        driver: Any = raw.driver_connection  # an asyncpg connection, in our transaction
        schema = self.table.schema
        await driver.copy_records_to_table(
            self.table.name, records=rows, columns=self.columns, schema_name=schema
        )
