"""Open data that cannot identify anyone (``candibot export --format open-data``): counts
below the threshold published as "<5", a county's summaries withheld until it has that
many published incidents, nothing finer than the week, no ids, every column documented,
a CC0 licence; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import Candidacy, NoticePhoto, PublishedIncident
from storage.notices import photo_source
from storage.open_data import (
    CANDIDATE_COLUMNS,
    COUNT_COLUMNS,
    SUMMARY_COLUMNS,
    write_open_data,
)
from storage.unit import unit_factory

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 28)
XIHU, TIANNING, HAIDIAN = "330106", "320402", "110108"
WEEK = date(2026, 11, 16)  # a Monday: ISO week 2026-W47


def summary(county: str, n: int) -> str:
    return f"{county} 摘要 {n}：候选人家属接到威胁电话。"


async def publish(engine: AsyncEngine, county: str, count: int, week: date = WEEK) -> None:
    async with unit_factory(engine)() as unit:
        for n in range(count):
            unit.session.add(PublishedIncident(category="threatening_calls", area_code=county,
                                               week=week, summary=summary(county, n)))  # fmt: skip


def table(directory: Path, name: str) -> list[dict[str, str]]:
    with (directory / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
async def exported(demo_engine: AsyncEngine, tmp_path: Path) -> Path:
    """西湖区 with 3 published incidents, 天宁区 with 6, all in one week."""
    await publish(demo_engine, XIHU, 3)
    await publish(demo_engine, TIANNING, 6)
    await write_open_data(demo_engine, tmp_path / "open", TODAY)
    return tmp_path / "open"


async def test_a_county_with_three_incidents_shows_under_five_and_none_of_its_summaries(
    exported: Path,
) -> None:
    counts = {row["area_code"]: row for row in table(exported, "incident_counts")}
    assert counts[XIHU]["incidents"] == "<5"
    assert counts[TIANNING]["incidents"] == "6"
    summaries = table(exported, "incident_summaries")
    assert not [row for row in summaries if row["area_code"] == XIHU]
    assert sorted(row["summary"] for row in summaries) == [summary(TIANNING, n) for n in range(6)]
    everything = "".join(path.read_text("utf-8") for path in exported.glob("*.*") if
                         path.suffix in (".csv", ".json"))  # fmt: skip
    assert "西湖区 摘要" not in everything and XIHU + " 摘要" not in everything
    in_json = json.loads((exported / "incident_counts.json").read_text("utf-8"))
    assert {row["area_code"]: row["incidents"] for row in in_json} == {XIHU: "<5", TIANNING: 6}


async def test_a_summary_comes_out_once_its_county_has_enough(
    demo_engine: AsyncEngine, tmp_path: Path
) -> None:
    await publish(demo_engine, XIHU, 4)
    await write_open_data(demo_engine, tmp_path, TODAY)
    assert table(tmp_path, "incident_summaries") == []
    await publish(demo_engine, XIHU, 1, week=date(2026, 11, 23))
    await write_open_data(demo_engine, tmp_path, TODAY)
    assert len(table(tmp_path, "incident_summaries")) == 5
    # Each week of it is still under five: the counts stay "<5".
    assert {row["incidents"] for row in table(tmp_path, "incident_counts")} == {"<5"}


async def test_nothing_finer_than_the_week_and_no_ids(exported: Path) -> None:
    for name in ("incident_counts", "incident_summaries"):
        rows = table(exported, name)
        assert {row["week"] for row in rows} == {"2026-W47"}
        assert not any(column.endswith("id") or column == "receipt" for column in rows[0])
    # Even the files' times say only the week of the export (Monday 2026-11-23).
    monday = datetime(2026, 11, 23, tzinfo=UTC).timestamp()
    assert {os.stat(path).st_mtime for path in exported.rglob("*") if path.is_file()} == {monday}


async def test_every_column_is_documented_and_the_licence_is_cc0(exported: Path) -> None:
    readme = (exported / "README.md").read_text("utf-8")
    for column in (*COUNT_COLUMNS, *SUMMARY_COLUMNS, *CANDIDATE_COLUMNS):
        assert f"`{column}`" in readme, column
    assert "`<5`" in readme and "2026-W48" in readme
    licence = (exported / "LICENSE").read_text("utf-8")
    assert "CC0 1.0 Universal" in licence and "Statement of Purpose" in licence
    assert "creativecommons.org/publicdomain/zero/1.0" in licence
    assert list(table(exported, "incident_counts")[0]) == list(COUNT_COLUMNS)
    assert list(table(exported, "candidates")[0]) == list(CANDIDATE_COLUMNS)


async def test_the_candidate_lists_carry_their_sources_and_notice_photos(
    demo_engine: AsyncEngine, tmp_path: Path
) -> None:
    sha = "cd" * 32
    async with unit_factory(demo_engine)() as unit:
        unit.session.add(NoticePhoto(sha256=sha, media_type="image/jpeg", data=b"\xff\xd8\xffjpeg"))
        candidacy = await unit.session.get_one(Candidacy, 1)
        candidacy.source, candidacy.checked_on = photo_source(sha), date(2026, 11, 21)
    await write_open_data(demo_engine, tmp_path, TODAY)

    rows = {row["candidacy_key"]: row for row in table(tmp_path, "candidates")}
    assert len(rows) == 59
    first = rows[candidacy.key]
    assert (first["source"], first["checked_on"]) == (photo_source(sha), "2026-11-21")
    assert (tmp_path / first["source_photo"]).read_bytes() == b"\xff\xd8\xffjpeg"
    assert rows["demo-c043"]["source"] == "演示数据 / demo data"
    assert json.loads((tmp_path / "candidates.json").read_text("utf-8"))[0]["demo"] is True


async def test_a_summary_a_spreadsheet_would_run_is_neutralised(
    demo_engine: AsyncEngine, tmp_path: Path
) -> None:
    async with unit_factory(demo_engine)() as unit:
        for _ in range(5):
            unit.session.add(PublishedIncident(category="other", area_code=HAIDIAN, week=WEEK,
                                               summary="=HYPERLINK(\"x\")"))  # fmt: skip
    await write_open_data(demo_engine, tmp_path, TODAY)
    raw = (tmp_path / "incident_summaries.csv").read_text("utf-8")
    assert "'=HYPERLINK" in raw and ",=HYPERLINK" not in raw


def test_the_cli_writes_a_directory_and_refuses_a_file(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    env = {**os.environ, "CANDIBOT_OPEN_DATA_MIN_COUNT": "3", "CANDIBOT_CONFIG": "/nonexistent"}

    def candibot(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "bot.cli", *args, "--db", database]
        return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env,
                              check=False)  # fmt: skip

    written = candibot("export", "--format", "open-data", "--output", str(tmp_path / "out"))
    assert written.returncode == 0, written.stderr
    assert "fewer than 3 published incidents" in written.stderr
    assert "`<3`" in (tmp_path / "out" / "README.md").read_text("utf-8")
    assert candibot("export", "--format", "open-data").returncode == 2
    (tmp_path / "file").write_text("x")
    refused = candibot("export", "--format", "open-data", "--output", str(tmp_path / "file"))
    assert refused.returncode == 2 and "not a directory" in refused.stderr
