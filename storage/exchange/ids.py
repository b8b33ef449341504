"""Primary keys handed out before insert, so that rows referring to new rows can be
written in the same batch without reading ids back."""

from __future__ import annotations

from sqlalchemy import Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection


class Ids:
    """Ids for new rows of ``table``. On PostgreSQL they come from the table's sequence;
    on SQLite from its largest id, which is safe because the import holds the write lock."""

    def __init__(self, connection: AsyncConnection, table: Table) -> None:
        self.connection = connection
        self.table = table
        self._next: int | None = None

    async def take(self, count: int) -> list[int]:
        if count == 0:
            return []
        if self.connection.dialect.name == "postgresql":
            rows = await self.connection.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                    "FROM generate_series(1, :count)"
                ),
                {"table": self.table.name, "count": count},
            )
            return sorted(row[0] for row in rows)
        if self._next is None:
            largest = await self.connection.scalar(select(func.max(self.table.c.id)))
            self._next = int(largest or 0) + 1
        first, self._next = self._next, self._next + count
        return list(range(first, self._next))
