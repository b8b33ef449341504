"""The CSV format: one row per candidacy (documented in docs/IMPORT_FORMAT.md)."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import AsyncIterable, Callable, Mapping
from datetime import UTC, date, datetime, time
from operator import itemgetter
from typing import Any, TextIO, TypeVar

from storage.models import ElectionLevel, ElectionStatus, Nomination, Stage

from . import fields as f
from .records import (
    CandidacyRecord,
    DistrictRecord,
    ElectionRecord,
    PersonRecord,
    PointRecord,
    Problems,
    Sink,
)
from .rows import Row

T = TypeVar("T")

ELECTION_COLUMNS = (
    "election_key",
    "election_area",
    "election_level",
    "election_day",
    "election_status",
    "election_source",
    "election_updated",
    "roll_published_on",
    "nominees_published_on",
    "official_list_published_on",
    "election_demo",
)
DISTRICT_COLUMNS = (
    "district_key",
    "district_number",
    "district_name",
    "district_seats",
    "district_areas",
)
CANDIDACY_COLUMNS = (
    "candidacy_key", "stage", "nomination", "nominator_count", "candidacy_source",
    "candidacy_checked",
)  # fmt: skip
PERSON_COLUMNS = ("person_key", "person_name", "person_aliases")
COLUMNS = (*ELECTION_COLUMNS, *DISTRICT_COLUMNS, *CANDIDACY_COLUMNS, *PERSON_COLUMNS, "platform")
REQUIRED_COLUMNS = frozenset(
    {
        "election_key", "election_area", "election_level", "election_status",
        "district_key", "district_name", "district_seats", "district_areas",
        "candidacy_key", "stage", "nomination", "person_key", "person_name",
    }
)  # fmt: skip
LIST_SEPARATOR = ";"

#: A record (None if invalid) and the errors of its values.
Parsed = tuple[T | None, list[str]]
Cells = tuple[str, ...]

#: The cells each kind of record is read from, in this order.
_DISTRICT_CELLS = (*DISTRICT_COLUMNS, "election_key")
_CANDIDACY_CELLS = (
    "candidacy_key", "person_key", "district_key", "stage", "nomination", "nominator_count",
    "platform", "candidacy_source", "candidacy_checked",
)  # fmt: skip
#: Distinct person names whose check is remembered (names repeat: 王伟, 李静).
_NAMES_REMEMBERED = 200_000


def where(at: int) -> str:
    return f"line {at}"


# Spreadsheets run a cell that begins with one of = + - @ tab or carriage return as a
# formula (OWASP "CSV injection"), and free text such as a source can begin so. The
# export puts a ' before such a cell, and before one that begins with quotes and then
# such a character; the import takes one ' off a cell that begins with quotes and then
# such a character. So every value comes back as it left, and a hand-written ' before
# anything else stays.
_FORMULA_START = "=+-@\t\r"
_TO_ESCAPE = re.compile(f"'*[{re.escape(_FORMULA_START)}]")
_ESCAPED = re.compile(f"'+[{re.escape(_FORMULA_START)}]")
#: Cells beginning with one of these may need a look; all others are left alone at once.
_MAY_ESCAPE = frozenset(_FORMULA_START + "'")


def neutralised(cell: str) -> str:
    """The cell as written to the file: never the start of a formula."""
    if cell[:1] in _MAY_ESCAPE and _TO_ESCAPE.match(cell):
        return "'" + cell
    return cell


def _unescape(row: list[str]) -> None:
    """Undo ``neutralised`` in place. Rows without a cell that begins with a quote (as
    good as all) are found with one search of the joined row."""
    if "\0'" not in "\0" + "\0".join(row):
        return
    for i, cell in enumerate(row):
        if _ESCAPED.match(cell):
            row[i] = cell[1:]


def _split(text: str) -> list[str]:
    return [part for part in (p.strip() for p in text.split(LIST_SEPARATOR)) if part]


def _key(errors: f.Errors, value: str, field: str) -> str:
    """``f.key`` without its calls in the common case of a valid key."""
    text = value.strip()
    if 0 < len(text) <= f.KEY_LENGTH:
        return text
    return errors.take(f.key, value, field)


def _aliases(text: str, field: str) -> tuple[str, ...]:
    return f.aliases(_split(text), field)


def _election(cells: Cells, areas: Mapping[str, str]) -> Parsed[ElectionRecord]:
    key, area, level, day, status, source, updated, roll, nominees, official, demo = cells
    e = f.Errors()
    key = e.take(f.key, key, "election_key")
    area = e.take(f.area_code, area, "election_area", areas)
    level = e.take(f.choice, level, "election_level", ElectionLevel)
    if area and level and areas[area] != level:
        e.append(f"election_area {area} is a {areas[area]}, but election_level is {level}")
    record = ElectionRecord(
        key=key,
        area_code=area,
        level=level,
        election_day=e.take(f.iso_date, day, "election_day"),
        status=e.take(f.choice, status, "election_status", ElectionStatus),
        source=e.take(f.optional, source, "election_source"),
        updated_at=e.take(f.timestamp, updated, "election_updated"),
        roll_published_on=e.take(f.iso_date, roll, "roll_published_on"),
        nominees_published_on=e.take(f.iso_date, nominees, "nominees_published_on"),
        official_list_published_on=e.take(f.iso_date, official, "official_list_published_on"),
        demo=e.take(f.flag, demo, "election_demo"),
    )
    return e.result(record)


def _district(cells: Cells, areas: Mapping[str, str]) -> Parsed[DistrictRecord]:
    key, number, name, seats, area_codes, election_key = cells
    e = f.Errors()
    record = DistrictRecord(
        key=e.take(f.key, key, "district_key"),
        election_key=election_key.strip(),
        number=e.take(f.positive, number, "district_number"),
        name=e.take(f.required, name, "district_name", f.DISTRICT_NAME_LENGTH),
        seats=e.take(f.seats, seats, "district_seats"),
        area_codes=e.take(f.area_codes, _split(area_codes), "district_areas", areas),
    )
    return e.result(record)


class _LineReader:
    """Turns the cells of one line into records. A line repeats its election, district
    and often its person from the line before: each is checked once per distinct set of
    cells (elections: ever; districts and persons: the run of lines that repeat them),
    and so are the values of columns that repeat (stage, nomination, platform...)."""

    def __init__(self, header: list[str], areas: Mapping[str, str]) -> None:
        index = {name: i for i, name in enumerate(header)}
        blank = len(header)  # every row gets an empty last cell for the absent columns

        def cells(names: tuple[str, ...]) -> Callable[[list[str]], Cells]:
            return itemgetter(*(index.get(name, blank) for name in names))

        self.areas = areas
        self.election_cells = cells(ELECTION_COLUMNS)
        self.district_cells = cells(_DISTRICT_CELLS)
        self.person_cells = cells(PERSON_COLUMNS)
        self.candidacy_cells = cells(_CANDIDACY_CELLS)
        self.elections: dict[Cells, Parsed[ElectionRecord]] = {}
        self.last_district: tuple[Cells, Parsed[DistrictRecord]] = ((), (None, []))
        self.last_person: tuple[Cells, Parsed[PersonRecord]] = ((), (None, []))
        self.names = f.Memo(f.person_name, "person_name", limit=_NAMES_REMEMBERED)
        self.aliases = f.Memo(_aliases, "person_aliases")
        self.stages = f.Memo(f.choice, "stage", Stage)
        self.nominations = f.Memo(f.choice, "nomination", Nomination)
        self.counts = f.Memo(f.nominators, "nominator_count")
        self.platforms = f.Memo(f.platform_json, "platform")

    def election(self, row: list[str]) -> Parsed[ElectionRecord]:
        cells = self.election_cells(row)
        parsed = self.elections.get(cells)
        if parsed is None:
            parsed = self.elections[cells] = _election(cells, self.areas)
        return parsed

    def district(self, row: list[str]) -> Parsed[DistrictRecord]:
        cells = self.district_cells(row)
        if self.last_district[0] != cells:
            self.last_district = (cells, _district(cells, self.areas))
        return self.last_district[1]

    def person(self, row: list[str]) -> Parsed[PersonRecord]:
        cells = self.person_cells(row)
        if self.last_person[0] != cells:
            key, name, aliases = cells
            e = f.Errors()
            record = PersonRecord(
                key=_key(e, key, "person_key"),
                name=self.names(e, name),
                aliases=self.aliases(e, aliases),
            )
            self.last_person = (cells, e.result(record))
        return self.last_person[1]

    def candidacy(self, row: list[str]) -> Parsed[CandidacyRecord]:
        key, person_key, district_key, stage, nomination, count, platform, source, checked = (
            self.candidacy_cells(row)
        )
        e = f.Errors()
        nomination = self.nominations(e, nomination)
        record = CandidacyRecord(
            key=_key(e, key, "candidacy_key"),
            person_key=person_key.strip(),
            district_key=district_key.strip(),
            stage=self.stages(e, stage),
            nomination=nomination,
            nominator_count=self.counts(e, count, nomination),
            platform=self.platforms(e, platform),
            source=e.take(f.optional, source, "candidacy_source") if source else "",
            checked_on=e.take(f.iso_date, checked, "candidacy_checked") if checked else None,
        )
        return e.result(record)


def read_csv(text: TextIO, areas: Mapping[str, str], problems: Problems, sink: Sink) -> None:
    """Puts the records of every line into ``sink``, as far as each part of a line is
    valid; errors go to ``problems``. ``areas`` maps every known area code to its level."""
    reader = csv.reader(text, strict=True)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        problems.add(where(1), "the file is empty; the first line must name the columns")
        return
    except csv.Error as error:
        problems.add(where(1), f"cannot read the header ({error})")
        return
    if not _header_ok(header, problems):
        return
    width = len(header)
    lines = _LineReader(header, areas)
    # Each line holds up to four records, each parsed and checked on its own.
    parts: list[tuple[Callable[[list[str]], tuple[Any, list[str]]], Callable[[int, Any], None]]]
    parts = [
        (lines.election, sink.election),
        (lines.district, sink.district),
        (lines.person, sink.person),
        (lines.candidacy, sink.candidacy),
    ]
    line = reader.line_num
    while True:
        start = line + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            problems.add(where(start), f"cannot read this line ({error})")
            return
        line = reader.line_num
        if len(row) != width:
            if not any(cell.strip() for cell in row):
                continue  # a blank line
            problems.add(where(start), f"expected {width} fields, got {len(row)}")
            continue
        _unescape(row)
        row.append("")
        for parse, take in parts:
            value, errors = parse(row)
            if errors:
                _report(start, errors, problems)
            if value is not None:
                take(start, value)


def _report(at: int, errors: list[str], problems: Problems) -> None:
    for message in errors:
        problems.add(where(at), message)


def _header_ok(header: list[str], problems: Problems) -> bool:
    ok = True
    for name in sorted(REQUIRED_COLUMNS - set(header)):
        problems.add(where(1), f"missing column {name!r}")
        ok = False
    for name in header:
        if name not in COLUMNS:
            problems.add(where(1), f"unknown column {name!r}")
            ok = False
    for name in sorted({n for n in header if header.count(n) > 1}):
        problems.add(where(1), f"column {name!r} appears more than once")
        ok = False
    return ok


# Writing -------------------------------------------------------------------


def day(value: date | None) -> str:
    return value.isoformat() if value else ""


def moment(value: datetime | None) -> str:
    """Midnight UTC as a date, anything else as an ISO date and time in UTC."""
    if value is None:
        return ""
    value = value.astimezone(UTC)
    if value.time() == time(0):
        return value.date().isoformat()
    return value.replace(tzinfo=None).isoformat() + "Z"


def platform_cell(points: tuple[PointRecord, ...] | None) -> str:
    if not points:
        return ""
    return json.dumps(points_json(points), ensure_ascii=False, separators=(",", ":"))


def points_json(points: tuple[PointRecord, ...]) -> list[dict[str, str]]:
    out = []
    for point in points:
        item = {"topic": point.topic}
        if point.zh:
            item["zh"] = point.zh
        if point.en:
            item["en"] = point.en
        out.append(item)
    return out


def _cells(row: Row) -> list[str]:
    e, d, c, p = row.election, row.district, row.candidacy, row.person
    return [
        e.key, e.area_code, e.level, day(e.election_day), e.status, e.source,
        moment(e.updated_at), day(e.roll_published_on), day(e.nominees_published_on),
        day(e.official_list_published_on), "true" if e.demo else "false",
        d.key, "" if d.number is None else str(d.number), d.name, str(d.seats),
        LIST_SEPARATOR.join(d.area_codes),
        c.key, c.stage, c.nomination, "" if c.nominator_count is None else str(c.nominator_count),
        c.source, day(c.checked_on),
        p.key, p.name, LIST_SEPARATOR.join(p.aliases),
        platform_cell(c.platform),
    ]  # fmt: skip


async def write_csv(rows: AsyncIterable[Row], out: TextIO) -> int:
    """Writes the header and one line per candidacy; returns how many."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    async for row in rows:
        writer.writerow([neutralised(cell) for cell in _cells(row)])
        count += 1
    return count
