"""Records, in file order, turned into batches of staging rows: what the reading side of
an import produces (in a worker process for large files), before any database is touched.

Person rows leave without their display pinyin and search keys, which keying.py adds.
Elections, few, are kept whole and checked against each other here; everything else is
checked across records in SQL once it is staged (checks.py).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from .formats import Position
from .person_keys import aliases_json
from .records import (
    CandidacyRecord,
    DistrictRecord,
    ElectionRecord,
    PersonRecord,
    Problems,
)

#: Rows per batch (a CSV line makes about two: its candidacy and its person).
BATCH = 50_000

Rows = list[tuple[Any, ...]]
#: A person's name and aliases, which its pinyin and search keys are made from.
Person = tuple[str, tuple[str, ...]]


@dataclass
class Batch:
    """Rows for the staging tables (table name -> rows in ``staging.COLUMNS`` order), and
    how far reading had got. Until keyed, the person rows lack their last two columns,
    and ``people`` holds what to compute them from, row by row."""

    rows: dict[str, Rows]
    position: tuple[int, int | None]
    people: list[Person] = field(default_factory=list)
    #: The rows of every table but the persons, pickled, while they pass through a
    #: process that has nothing to do with them (the keyer).
    packed: bytes = b""

    def pack(self) -> None:
        others = {name: rows for name, rows in self.rows.items() if name != "x_persons"}
        self.packed = pickle.dumps(others, protocol=pickle.HIGHEST_PROTOCOL)
        self.rows = {"x_persons": self.rows["x_persons"]}

    def unpack(self) -> None:
        if self.packed:
            self.rows.update(pickle.loads(self.packed))
            self.packed = b""


@dataclass
class Finished:
    """The end of a file: its elections (key -> (record, where first given)), every
    problem found while reading, and how many candidacies were read."""

    elections: dict[str, tuple[ElectionRecord, int]]
    problems: Problems
    candidacies: int

    def election_rows(self) -> Rows:
        return [(key, record.organization_id) for key, (record, _) in self.elections.items()]


class RowBuilder:
    """A ``Sink`` for a reader: builds staging rows and hands them to ``emit`` a batch at
    a time. A person or district repeated on consecutive lines is staged once."""

    def __init__(
        self,
        problems: Problems,
        where: Callable[[str, int], str],
        position: Position,
        emit: Callable[[Batch], None],
    ) -> None:
        self.problems = problems
        self.where = where
        self.position = position
        self.emit = emit
        self.elections: dict[str, tuple[ElectionRecord, int]] = {}
        self.candidacies = 0
        self._last_person: PersonRecord | None = None
        self._last_district: DistrictRecord | None = None
        self._rows = self._empty()
        self._people: list[Person] = []
        self._pending = 0

    @staticmethod
    def _empty() -> dict[str, Rows]:
        return {name: [] for name in ("x_districts", "x_district_areas", "x_persons",
                                      "x_candidacies", "x_points")}  # fmt: skip

    def election(self, at: int, record: ElectionRecord) -> None:
        known = self.elections.get(record.key)
        if known is None:
            self.elections[record.key] = (record, at)
        elif known[0] is not record and known[0] != record:
            self.problems.add(
                self.where("election", at),
                f"election {record.key!r} is given differently on "
                f"{self.where('election', known[1])} ({differences(known[0], record)})",
            )

    def district(self, at: int, record: DistrictRecord) -> None:
        last = self._last_district
        if record is last or record == last:
            return
        self._last_district = record
        self._rows["x_districts"].append(
            (at, record.key, record.election_key, record.number, record.name, record.seats,
             ";".join(record.area_codes))
        )  # fmt: skip
        self._rows["x_district_areas"].extend((record.key, code) for code in record.area_codes)
        self._added()

    def person(self, at: int, record: PersonRecord) -> None:
        last = self._last_person
        if record is last or record == last:
            return
        self._last_person = record
        self._rows["x_persons"].append((at, record.key, record.name, aliases_json(record.aliases)))
        self._people.append((record.name, record.aliases))
        self._added()

    def candidacy(self, at: int, record: CandidacyRecord) -> None:
        self.candidacies += 1
        self._rows["x_candidacies"].append(
            (at, record.key, record.person_key, record.district_key, record.stage,
             record.nomination, record.nominator_count, record.organization_id, record.source,
             record.checked_on.isoformat() if record.checked_on else None)
        )  # fmt: skip
        if record.platform:
            points = self._rows["x_points"]
            for position, point in enumerate(record.platform):
                points.append((record.key, position, point.topic, point.zh, point.en))
        self._added()

    def _added(self) -> None:
        self._pending += 1
        if self._pending >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            self.emit(Batch(self._rows, self.position(), self._people))
            self._rows = self._empty()
            self._people = []
            self._pending = 0

    def finish(self) -> Finished:
        """Emits what is left; the end of the file."""
        self.flush()
        return Finished(self.elections, self.problems, self.candidacies)


def differences(first: object, other: object) -> str:
    """ "status 'held' vs 'announced'" for the fields in which two records differ."""
    parts = []
    for item in fields(first):  # type: ignore[arg-type]
        a, b = getattr(first, item.name), getattr(other, item.name)
        if a != b:
            parts.append(f"{item.name} {_show(b)} vs {_show(a)}")
    return ", ".join(parts)


def _show(value: object) -> str:
    if isinstance(value, tuple):
        return repr(";".join(map(str, value)))
    return repr(str(value)) if value is not None else "empty"
