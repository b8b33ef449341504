"""Temporary tables that hold a file's records during its import, each record as a row
(elections, few, stay in memory until the file is read), and the writer that fills them
batch by batch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Index, Integer, MetaData, Table, Text
from sqlalchemy.ext.asyncio import AsyncConnection

from .bulk import BulkWriter

#: Staging columns in the order rows are built (batches.py) and written.
COLUMNS = {
    "x_districts": ("at", "key", "election_key", "number", "name", "seats", "areas"),
    "x_district_areas": ("district_key", "area_code"),
    "x_persons": ("at", "key", "name", "aliases", "pinyin", "search_keys"),
    "x_candidacies": (
        "at", "key", "person_key", "district_key", "stage", "nomination", "nominator_count",
        "organization_id", "source", "checked_on",
    ),
    "x_points": ("candidacy_key", "position", "topic", "zh", "en"),
    "x_elections": ("key", "organization_id"),
}  # fmt: skip


@dataclass(frozen=True)
class Staging:
    """The temporary tables of one import."""

    metadata: MetaData
    elections: Table
    districts: Table
    district_areas: Table
    persons: Table
    candidacies: Table
    points: Table
    person_todo: Table

    @classmethod
    def define(cls) -> Staging:
        metadata = MetaData()

        def temp(name: str, *columns: Column[Any]) -> Table:
            return Table(name, metadata, *columns, prefixes=["TEMPORARY"])

        def text(name: str, nullable: bool = False) -> Column[Any]:
            return Column(name, Text, nullable=nullable)

        def derived(name: str) -> Column[Any]:
            """Computed from the record's other values, so never compared by the checks."""
            return Column(name, Text, nullable=False, info={"derived": True})

        def number(name: str, nullable: bool = False) -> Column[Any]:
            return Column(name, Integer, nullable=nullable)

        return cls(
            metadata=metadata,
            elections=temp("x_elections", text("key"), text("organization_id", True)),
            districts=temp(
                "x_districts",
                number("at"),
                text("key"),
                text("election_key"),
                number("number", True),
                text("name"),
                number("seats"),
                text("areas"),
            ),
            district_areas=temp("x_district_areas", text("district_key"), text("area_code")),
            persons=temp(
                "x_persons",
                number("at"),
                text("key"),
                text("name"),
                text("aliases"),
                derived("pinyin"),
                derived("search_keys"),
            ),
            candidacies=temp(
                "x_candidacies",
                number("at"),
                text("key"),
                text("person_key"),
                text("district_key"),
                text("stage"),
                text("nomination"),
                number("nominator_count", True),
                text("organization_id", True),
                text("source"),
                # An ISO date as text: bulk rows carry no dates (bulk.py).
                text("checked_on", True),
            ),
            points=temp(
                "x_points",
                text("candidacy_key"),
                number("position"),
                text("topic"),
                text("zh"),
                text("en"),
            ),
            person_todo=temp(
                "x_person_todo",
                Column("n", Integer, primary_key=True, autoincrement=True),
                text("key"),
                text("name"),
                text("aliases"),
                text("pinyin"),
                text("search_keys"),
                number("person_id", True),
            ),
        )

    async def create(self, connection: AsyncConnection) -> None:
        await connection.run_sync(self.metadata.create_all, checkfirst=False)

    async def index(self, connection: AsyncConnection) -> None:
        """Indexes for the checks and the merge, built once everything is in; and on
        PostgreSQL the planner's statistics, which temporary tables never get by
        themselves."""
        for index in (
            Index("x_districts_key", self.districts.c.key),
            Index("x_persons_key", self.persons.c.key, self.persons.c.at),
            Index("x_candidacies_key", self.candidacies.c.key),
        ):
            await connection.run_sync(index.create)
        index = Index("x_points_candidacy", self.points.c.candidacy_key)
        await connection.run_sync(index.create)
        if connection.dialect.name == "postgresql":
            for table in self.metadata.sorted_tables:
                await connection.exec_driver_sql(f"ANALYZE {table.name}")

    def table(self, name: str) -> Table:
        return self.metadata.tables[name]

    async def drop(self, connection: AsyncConnection) -> None:
        await connection.run_sync(self.metadata.drop_all, checkfirst=False)


class StagingWriter:
    """Writes batches of rows (table name -> rows in ``COLUMNS`` order) into the staging
    tables, with the connection's fastest bulk path."""

    def __init__(self, connection: AsyncConnection, staging: Staging) -> None:
        self._writers = {
            name: BulkWriter(connection, staging.table(name), columns)
            for name, columns in COLUMNS.items()
        }

    async def write(self, rows: Mapping[str, Sequence[tuple[Any, ...]]]) -> None:
        for name, batch in rows.items():
            await self._writers[name].write(batch)
