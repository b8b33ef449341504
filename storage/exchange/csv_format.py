"""The CSV format: one row per candidacy (documented in docs/IMPORT_FORMAT.md)."""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterable, Callable, Iterator, Mapping
from datetime import UTC, date, datetime, time
from typing import TextIO

from storage.models import ElectionLevel, ElectionStatus, Nomination, Stage

from . import fields as f
from .records import (
    CandidacyRecord,
    DistrictRecord,
    ElectionRecord,
    Located,
    PersonRecord,
    PointRecord,
    Problems,
)
from .rows import Row

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
CANDIDACY_COLUMNS = ("candidacy_key", "stage", "nomination", "nominator_count")
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

Getter = Callable[[str], str]
Parsed = tuple[ElectionRecord | DistrictRecord | PersonRecord | CandidacyRecord | None, list[str]]


def where(at: int) -> str:
    return f"line {at}"


def _split(text: str) -> list[str]:
    return [part for part in (p.strip() for p in text.split(LIST_SEPARATOR)) if part]


def _election(get: Getter, areas: Mapping[str, str]) -> Parsed:
    e = f.Errors()
    key = e.take(f.key, get("election_key"), "election_key")
    area = e.take(f.area_code, get("election_area"), "election_area", areas)
    level = e.take(f.choice, get("election_level"), "election_level", ElectionLevel)
    if area and level and areas[area] != level:
        e.append(f"election_area {area} is a {areas[area]}, but election_level is {level}")
    record = ElectionRecord(
        key=key,
        area_code=area,
        level=level,
        election_day=e.take(f.iso_date, get("election_day"), "election_day"),
        status=e.take(f.choice, get("election_status"), "election_status", ElectionStatus),
        source=e.take(f.optional, get("election_source"), "election_source"),
        updated_at=e.take(f.timestamp, get("election_updated"), "election_updated"),
        roll_published_on=e.take(f.iso_date, get("roll_published_on"), "roll_published_on"),
        nominees_published_on=e.take(
            f.iso_date, get("nominees_published_on"), "nominees_published_on"
        ),
        official_list_published_on=e.take(
            f.iso_date, get("official_list_published_on"), "official_list_published_on"
        ),
        demo=e.take(f.flag, get("election_demo"), "election_demo"),
    )
    return e.result(record)


def _district(get: Getter, areas: Mapping[str, str]) -> Parsed:
    e = f.Errors()
    record = DistrictRecord(
        key=e.take(f.key, get("district_key"), "district_key"),
        election_key=get("election_key").strip(),
        number=e.take(f.positive, get("district_number"), "district_number"),
        name=e.take(f.required, get("district_name"), "district_name", f.DISTRICT_NAME_LENGTH),
        seats=e.take(f.seats, get("district_seats"), "district_seats"),
        area_codes=e.take(f.area_codes, _split(get("district_areas")), "district_areas", areas),
    )
    return e.result(record)


def _person(get: Getter) -> Parsed:
    e = f.Errors()
    record = PersonRecord(
        key=e.take(f.key, get("person_key"), "person_key"),
        name=e.take(f.person_name, get("person_name"), "person_name"),
        aliases=e.take(f.aliases, _split(get("person_aliases")), "person_aliases"),
    )
    return e.result(record)


def _candidacy(get: Getter) -> Parsed:
    e = f.Errors()
    nomination = e.take(f.choice, get("nomination"), "nomination", Nomination)
    record = CandidacyRecord(
        key=e.take(f.key, get("candidacy_key"), "candidacy_key"),
        person_key=get("person_key").strip(),
        district_key=get("district_key").strip(),
        stage=e.take(f.choice, get("stage"), "stage", Stage),
        nomination=nomination,
        nominator_count=e.take(f.nominators, get("nominator_count"), "nominator_count", nomination),
        platform=e.take(f.platform_json, get("platform"), "platform"),
    )
    return e.result(record)


def read_csv(text: TextIO, areas: Mapping[str, str], problems: Problems) -> Iterator[Located]:
    """The records of every line, as far as each part of a line is valid; errors go to
    ``problems``. ``areas`` maps every known area code to its level."""
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
    index = {name: i for i, name in enumerate(header)}
    width = len(header)
    elections: dict[tuple[str, ...], Parsed] = {}
    election_columns = [index.get(c) for c in ELECTION_COLUMNS]
    district_columns = [index.get(c) for c in (*DISTRICT_COLUMNS, "election_key")]
    last_district: tuple[tuple[str, ...], Parsed] | None = None
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

        def get(name: str, row: list[str] = row) -> str:
            column = index.get(name)
            return "" if column is None else row[column]

        raw = tuple("" if c is None else row[c] for c in election_columns)
        election = elections.get(raw)
        if election is None:
            election = elections[raw] = _election(get, areas)
        raw_district = tuple("" if c is None else row[c] for c in district_columns)
        if last_district is None or last_district[0] != raw_district:
            last_district = (raw_district, _district(get, areas))
        district = last_district[1]
        for record, errors in (election, district, _person(get), _candidacy(get)):
            for message in errors:
                problems.add(where(start), message)
            if record is not None:
                yield Located(start, record)


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
        p.key, p.name, LIST_SEPARATOR.join(p.aliases),
        platform_cell(c.platform),
    ]  # fmt: skip


async def write_csv(rows: AsyncIterable[Row], out: TextIO) -> int:
    """Writes the header and one line per candidacy; returns how many."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    async for row in rows:
        writer.writerow(_cells(row))
        count += 1
    return count


class CsvSource:
    """An import source over CSV text."""

    references = False

    def __init__(self, text: TextIO, position: Callable[[], tuple[int, int | None]]) -> None:
        self.text = text
        self._position = position

    def records(self, areas: Mapping[str, str], problems: Problems) -> Iterator[Located]:
        return read_csv(self.text, areas, problems)

    def where(self, kind: str, at: int) -> str:
        return where(at)

    def position(self) -> tuple[int, int | None]:
        return self._position()
