"""Open data that cannot identify anyone (``candibot export --format open-data``): the
published incident summaries and their counts by county and ISO week, and the candidate
lists with their sources, as CSV and JSON, with a CC0 licence and a README of the columns
(``storage/data/open_data_README.md``), as Cofacts publishes its dumps.

Written as an attacker would read it, joining it with what they know: a count below the
threshold is "<threshold", a county's summaries wait until it has that many published
incidents, nothing is finer than the ISO week (not even the files' modification times),
no row carries an id of a report or a summary, and rows are sorted by their values, not
in the order they were written. There are no totals above the county, which would give
back a hidden count by subtraction.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.exchange.csv_format import neutralised
from storage.models import (
    Area,
    Candidacy,
    Election,
    ElectoralDistrict,
    NoticePhoto,
    Person,
    PublishedIncident,
)
from storage.notices import photo_sha

#: Counts below this are published as "<5", and a county's summaries wait until it has
#: this many published incidents (``CANDIBOT_OPEN_DATA_MIN_COUNT``).
DEFAULT_THRESHOLD = 5
NOTICES = "notices"
COUNT_COLUMNS = ("area_code", "area_name", "week", "incidents")
SUMMARY_COLUMNS = ("area_code", "area_name", "week", "category", "summary")
CANDIDATE_COLUMNS = (
    "election_area_code", "election_area_name", "election_level", "election_day",
    "election_status", "district_number", "district_name", "district_seats", "candidacy_key",
    "name", "pinyin", "stage", "nomination", "nominator_count", "source", "source_photo",
    "checked_on", "demo",
)  # fmt: skip
#: Elections per page of candidates (a page holds all their candidacies).
ELECTION_PAGE = 100
LICENSE_HEAD = """\
The data in this directory is dedicated to the public domain under CC0 1.0 Universal:
https://creativecommons.org/publicdomain/zero/1.0/
本目录中的数据依 CC0 1.0 通用协议贡献给公有领域。

"""

Row = dict[str, Any]


@dataclass
class Written:
    """What an export wrote, for the operator."""

    counties: int = 0
    counties_withheld: int = 0
    summaries: int = 0
    summaries_withheld: int = 0
    candidacies: int = 0
    photos: int = 0
    files: list[str] = field(default_factory=list)


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


# Incidents ------------------------------------------------------------------------------


async def incident_rows(
    connection: AsyncConnection, threshold: int, written: Written
) -> tuple[list[Row], list[Row]]:
    """(counts by county and week, summaries of the counties with enough incidents)."""
    i = PublishedIncident
    rows = await connection.execute(
        select(i.area_code, Area.name, i.week, i.category, i.summary).outerjoin(
            Area, Area.code == i.area_code
        )
    )
    by_county: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for code, name, published, category, summary in rows:
        by_county.setdefault((code or "", name or ""), []).append(
            (iso_week(published), category, summary)
        )
    counts: list[Row] = []
    summaries: list[Row] = []
    for (code, name), incidents in sorted(by_county.items()):
        weeks: dict[str, int] = {}
        for week, _, _ in incidents:
            weeks[week] = weeks.get(week, 0) + 1
        for week, count in sorted(weeks.items()):
            shown: int | str = count if count >= threshold else f"<{threshold}"
            counts.append(dict(zip(COUNT_COLUMNS, (code, name, week, shown), strict=True)))
        written.counties += 1
        if len(incidents) < threshold:
            written.counties_withheld += 1
            written.summaries_withheld += len(incidents)
            continue
        for week, category, summary in sorted(incidents):
            summaries.append(dict(zip(SUMMARY_COLUMNS, (code, name, week, category, summary),
                                      strict=True)))  # fmt: skip
    written.summaries = len(summaries)
    return counts, summaries


# Candidates -----------------------------------------------------------------------------


async def candidate_rows(connection: AsyncConnection, kept: set[str]) -> AsyncIterator[Row]:
    """Every candidacy by election key, district and candidacy key; ``kept`` holds the
    notice photos the database has (their files are written beside)."""
    keys = list(await connection.scalars(select(Election.key).order_by(Election.key)))
    for start in range(0, len(keys), ELECTION_PAGE):
        result = await connection.execute(
            select(
                Election.area_code, Area.name, Election.level, Election.election_day,
                Election.status, ElectoralDistrict.number, ElectoralDistrict.name,
                ElectoralDistrict.seats, Candidacy.key, Person.name, Person.pinyin,
                Candidacy.stage, Candidacy.nomination, Candidacy.nominator_count,
                Candidacy.source, Candidacy.checked_on, Election.demo,
            )
            .join(Area, Area.code == Election.area_code)
            .join(ElectoralDistrict, ElectoralDistrict.election_id == Election.id)
            .join(Candidacy, Candidacy.district_id == ElectoralDistrict.id)
            .join(Person, Person.id == Candidacy.person_id)
            .where(Election.key.in_(keys[start : start + ELECTION_PAGE]))
            .order_by(Election.key, ElectoralDistrict.key, Candidacy.key)
        )  # fmt: skip
        for (area, area_name, level, day, status, number, district, seats, key, name, pinyin,
             stage, nomination, nominators, source, checked, demo) in result:  # fmt: skip
            sha = photo_sha(source)
            yield dict(zip(CANDIDATE_COLUMNS, (
                area, area_name, level, day.isoformat() if day else "", status,
                number, district, seats, key, name, pinyin, stage, nomination, nominators,
                source, f"{NOTICES}/{sha}.jpg" if sha in kept else "",
                checked.isoformat() if checked else "", demo,
            ), strict=True))  # fmt: skip


# Files ----------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralised(str(value))


class _Table:
    """One table written as ``name.csv`` and ``name.json`` at once, row by row."""

    def __init__(self, csv_out: TextIO, json_out: TextIO, columns: tuple[str, ...]) -> None:
        self.csv = csv.writer(csv_out, lineterminator="\n")
        self.csv.writerow(columns)
        self.json = json_out
        self.json.write("[")
        self.rows = 0

    def add(self, row: Row) -> None:
        self.csv.writerow([_cell(value) for value in row.values()])
        self.json.write(",\n" if self.rows else "\n")
        self.json.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
        self.rows += 1

    def close(self) -> None:
        self.json.write("\n]\n" if self.rows else "]\n")


class _Directory:
    """Files written beside their final names and moved into place whole, so that a web
    server serving the directory never hands out half a file; each file's modification
    time is the start of the export's week."""

    def __init__(self, path: Path, week_start: date) -> None:
        self.path = path
        self.stamp = datetime.combine(week_start, time(), UTC).timestamp()
        self.names: list[str] = []

    @contextmanager
    def text(self, name: str) -> Iterator[TextIO]:
        with self._file(name, "w") as out:
            yield out

    def binary(self, name: str, data: bytes) -> None:
        with self._file(name, "wb") as out:
            out.write(data)

    @contextmanager
    def _file(self, name: str, mode: str) -> Iterator[Any]:
        final = self.path / name
        final.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=final.parent, prefix=".part-")
        try:
            opened = (
                os.fdopen(handle, "wb") if mode == "wb"
                else os.fdopen(handle, "w", encoding="utf-8", newline="")
            )  # fmt: skip
            with opened as out:
                yield out
            os.chmod(temporary, 0o644)
            os.utime(temporary, (self.stamp, self.stamp))
            os.replace(temporary, final)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self.names.append(name)

    @contextmanager
    def table(self, name: str, columns: tuple[str, ...]) -> Iterator[_Table]:
        with self.text(f"{name}.csv") as csv_out, self.text(f"{name}.json") as json_out:
            table = _Table(csv_out, json_out, columns)
            yield table
            table.close()

    def prune(self, folder: str, keep: set[str]) -> None:
        """Photos an earlier export wrote that no candidacy names any more."""
        for old in (self.path / folder).glob("*.jpg"):
            if old.name not in keep:
                old.unlink()


def _readme(threshold: int, week: str) -> str:
    text = resources.files("storage.data").joinpath("open_data_README.md").read_text("utf-8")
    return text.replace("@THRESHOLD@", str(threshold)).replace("@WEEK@", week)


def _license() -> str:
    return LICENSE_HEAD + resources.files("storage.data").joinpath("CC0-1.0.txt").read_text("utf-8")


async def write_open_data(
    engine: AsyncEngine, directory: Path, today: date, threshold: int = DEFAULT_THRESHOLD
) -> Written:
    """Writes the open data into ``directory`` (made if missing), as of ``today``."""
    if threshold < 1:
        raise ValueError("the threshold must be 1 or more")
    written = Written()
    folder = _Directory(directory, monday(today))
    async with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execution_options(isolation_level="REPEATABLE READ")
        async with connection.begin():
            counts, summaries = await incident_rows(connection, threshold, written)
            for name, columns, rows in (
                ("incident_counts", COUNT_COLUMNS, counts),
                ("incident_summaries", SUMMARY_COLUMNS, summaries),
            ):
                with folder.table(name, columns) as table:
                    for row in rows:
                        table.add(row)  # fmt: skip
            kept = set(await connection.scalars(select(NoticePhoto.sha256)))
            named: set[str] = set()
            with folder.table("candidates", CANDIDATE_COLUMNS) as table:
                async for row in candidate_rows(connection, kept):
                    table.add(row)
                    if row["source_photo"]:
                        named.add(row["source_photo"].rpartition("/")[2].removesuffix(".jpg"))
            written.candidacies = table.rows
            for sha in sorted(named):
                data = await connection.scalar(
                    select(NoticePhoto.data).where(NoticePhoto.sha256 == sha)
                )
                folder.binary(f"{NOTICES}/{sha}.jpg", data or b"")
            written.photos = len(named)
    folder.prune(NOTICES, {f"{sha}.jpg" for sha in named})
    with folder.text("README.md") as out:
        out.write(_readme(threshold, iso_week(today)))
    with folder.text("LICENSE") as out:
        out.write(_license())
    written.files = folder.names
    return written


def summary_line(written: Written, threshold: int) -> str:
    """What the operator is told: how much went out and how much was held back."""
    return (
        f"{written.candidacies} candidacies, {written.photos} notice photos, "
        f"{written.summaries} incident summaries of {written.counties - written.counties_withheld}"
        f" counties; {written.summaries_withheld} summaries of {written.counties_withheld} "
        f"counties withheld (fewer than {threshold} published incidents)"
    )
