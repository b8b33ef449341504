"""Fast executemany: an ``insert()`` compiled once for the connection's dialect and run
with plain tuples, skipping SQLAlchemy's per-row parameter processing. Values must
already be what the driver takes (JSON columns as text, no dates)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncConnection


class BulkInsert:
    def __init__(self, connection: AsyncConnection, table: Table, columns: Sequence[str]) -> None:
        compiled = insert(table).compile(dialect=connection.dialect, column_keys=list(columns))
        order = compiled.positiontup or []
        if sorted(order) != sorted(columns):
            raise ValueError(f"cannot bulk insert {columns} into {table.name}")
        self.connection = connection
        self.sql = str(compiled)
        self._reorder = [list(columns).index(name) for name in order]
        self._identity = self._reorder == list(range(len(columns)))

    async def run(self, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if not self._identity:
            rows = [tuple(row[i] for i in self._reorder) for row in rows]
        await self.connection.exec_driver_sql(self.sql, list(rows))
