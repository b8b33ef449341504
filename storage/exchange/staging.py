"""Temporary tables that hold a file's records during its import, and the writer that
fills them in large batches. Elections, few, stay in memory."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Column, Index, Integer, MetaData, Table, Text
from sqlalchemy.ext.asyncio import AsyncConnection

from .bulk import BulkInsert
from .records import (
    CandidacyRecord,
    DistrictRecord,
    ElectionRecord,
    Located,
    PersonRecord,
    Problems,
)

BATCH = 20_000


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
            persons=temp("x_persons", number("at"), text("key"), text("name"), text("aliases")),
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
                number("person_id", True),
            ),
        )

    async def create(self, connection: AsyncConnection) -> None:
        await connection.run_sync(self.metadata.create_all, checkfirst=False)

    async def index(self, connection: AsyncConnection) -> None:
        """Indexes for the checks and the merge, built once everything is in."""
        for table in (self.districts, self.persons, self.candidacies):
            index = Index(f"{table.name}_key", table.c.key)
            await connection.run_sync(index.create)
        index = Index("x_points_candidacy", self.points.c.candidacy_key)
        await connection.run_sync(index.create)

    async def drop(self, connection: AsyncConnection) -> None:
        await connection.run_sync(self.metadata.drop_all, checkfirst=False)


def aliases_json(aliases: tuple[str, ...]) -> str:
    """Aliases as the JSON column stores them (SQLAlchemy's default serialiser)."""
    return json.dumps(list(aliases))


def differences(first: object, other: object) -> str:
    """ "status 'held' vs 'announced'" for the fields in which two records differ."""
    parts = []
    for field in fields(first):  # type: ignore[arg-type]
        a, b = getattr(first, field.name), getattr(other, field.name)
        if a != b:
            parts.append(f"{field.name} {_show(b)} vs {_show(a)}")
    return ", ".join(parts)


def _show(value: object) -> str:
    if isinstance(value, tuple):
        return repr(";".join(map(str, value)))
    return repr(str(value)) if value is not None else "empty"


#: Staging columns in the order the stager writes them.
_COLUMNS = {
    "x_districts": ("at", "key", "election_key", "number", "name", "seats", "areas"),
    "x_district_areas": ("district_key", "area_code"),
    "x_persons": ("at", "key", "name", "aliases"),
    "x_candidacies": (
        "at", "key", "person_key", "district_key", "stage", "nomination", "nominator_count",
        "organization_id",
    ),
    "x_points": ("candidacy_key", "position", "topic", "zh", "en"),
}  # fmt: skip


class Stager:
    """Receives records in file order and writes them to the staging tables."""

    def __init__(
        self,
        connection: AsyncConnection,
        staging: Staging,
        problems: Problems,
        where: Callable[[str, int], str],
    ) -> None:
        self.connection = connection
        self.staging = staging
        self.problems = problems
        self.where = where
        #: key -> (record, where it was first given)
        self.elections: dict[str, tuple[ElectionRecord, int]] = {}
        self.organizations: dict[str, str | None] = {}
        self._last_person: PersonRecord | None = None
        self._last_district: DistrictRecord | None = None
        self._districts: list[tuple[Any, ...]] = []
        self._district_areas: list[tuple[Any, ...]] = []
        self._persons: list[tuple[Any, ...]] = []
        self._candidacies: list[tuple[Any, ...]] = []
        self._points: list[tuple[Any, ...]] = []
        self._writers: list[tuple[list[tuple[Any, ...]], BulkInsert]] = [
            (rows, BulkInsert(connection, table, _COLUMNS[table.name]))
            for rows, table in (
                (self._districts, staging.districts),
                (self._district_areas, staging.district_areas),
                (self._persons, staging.persons),
                (self._candidacies, staging.candidacies),
                (self._points, staging.points),
            )
        ]
        self.candidacies = 0

    async def add(self, item: Located) -> None:
        record = item.record
        if isinstance(record, CandidacyRecord):
            self._candidacy(item.at, record)
        elif isinstance(record, PersonRecord):
            if self._last_person != record:
                self._last_person = record
                self._persons.append(
                    (item.at, record.key, record.name, aliases_json(record.aliases))
                )
        elif isinstance(record, DistrictRecord):
            if self._last_district != record:
                self._last_district = record
                self._district(item.at, record)
        else:
            self._election(item.at, record)
        if len(self._persons) >= BATCH or len(self._candidacies) >= BATCH:
            await self.flush()

    def _election(self, at: int, record: ElectionRecord) -> None:
        known = self.elections.get(record.key)
        if known is None:
            self.elections[record.key] = (record, at)
            self.organizations[record.key] = record.organization_id
        elif known[0] != record:
            self.problems.add(
                self.where("election", at),
                f"election {record.key!r} is given differently on "
                f"{self.where('election', known[1])} ({differences(known[0], record)})",
            )

    def _district(self, at: int, record: DistrictRecord) -> None:
        self._districts.append(
            (at, record.key, record.election_key, record.number, record.name, record.seats,
             ";".join(record.area_codes))
        )  # fmt: skip
        self._district_areas.extend((record.key, code) for code in record.area_codes)

    def _candidacy(self, at: int, record: CandidacyRecord) -> None:
        self.candidacies += 1
        self._candidacies.append(
            (at, record.key, record.person_key, record.district_key, record.stage,
             record.nomination, record.nominator_count, record.organization_id)
        )  # fmt: skip
        for position, point in enumerate(record.platform or ()):
            self._points.append((record.key, position, point.topic, point.zh, point.en))

    async def flush(self) -> None:
        for rows, writer in self._writers:
            await writer.run(rows)
            rows.clear()

    async def finish(self) -> None:
        """Writes what is buffered, and the elections (for the reference checks)."""
        await self.flush()
        rows = [(key, self.organizations.get(key)) for key in self.elections]
        writer = BulkInsert(self.connection, self.staging.elections, ["key", "organization_id"])
        for start in range(0, len(rows), BATCH):
            await writer.run(rows[start : start + BATCH])
