"""Import and export: formats round-trip byte for byte, imports are all or nothing and
idempotent, and every bad line of a file is reported with its line or JSON path."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import delete, func, select
from sqlalchemy import text as text_sql
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.candidates import search_candidacies
from storage.exchange import ImportRefused, ImportReport, export, import_file
from storage.exchange.csv_format import COLUMNS
from storage.exchange.formats import FileSource
from storage.exchange.importer import import_source
from storage.exchange.indexes import DeferredIndexes
from storage.exchange.merge import Merger
from storage.exchange.staging import StagingWriter
from storage.models import (
    Base,
    Candidacy,
    CandidateAccount,
    CandidateUpdate,
    Election,
    ElectoralDistrict,
    Person,
    PersonSearchKey,
    PlatformPoint,
    PlatformPointRevision,
    district_areas,
)
from storage.unit import unit_factory

ROOT = Path(__file__).resolve().parent.parent
GOOD = {
    "election_key": "e1", "election_area": "330106", "election_level": "county",
    "election_day": "2026-12-15", "election_status": "announced", "election_source": "test",
    "election_updated": "2026-11-20", "roll_published_on": "", "nominees_published_on": "",
    "official_list_published_on": "", "election_demo": "false", "district_key": "d1",
    "district_number": "1", "district_name": "第1选区", "district_seats": "2",
    "district_areas": "330106004;330106013", "candidacy_key": "c1", "stage": "official",
    "nomination": "voters_joint", "nominator_count": "12", "person_key": "p1",
    "person_name": "曾立新", "person_aliases": "", "platform": "",
}  # fmt: skip


def csv_text(*rows: dict[str, str], columns: tuple[str, ...] = COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue()


def row(**changes: str) -> dict[str, str]:
    return {**GOOD, **changes}


async def exported(engine: AsyncEngine, file_format: str) -> str:
    out = io.StringIO()
    await export(engine, file_format, out)
    return out.getvalue()


async def import_text(
    engine: AsyncEngine, tmp_path: Path, text: str, suffix: str = ".csv"
) -> ImportReport:
    path = tmp_path / f"input{suffix}"
    path.write_text(text, encoding="utf-8")
    return await import_file(engine, path, "csv" if suffix == ".csv" else "popolo")


async def refusal(engine: AsyncEngine, tmp_path: Path, text: str, suffix: str = ".csv") -> str:
    with pytest.raises(ImportRefused) as refused:
        await import_text(engine, tmp_path, text, suffix)
    return "\n".join(refused.value.problems.lines())


async def wipe(engine: AsyncEngine) -> None:
    """Everything but the areas: an empty database for the import."""
    async with engine.begin() as connection:
        for table in (
            PlatformPointRevision, PlatformPoint, CandidateAccount, CandidateUpdate, Candidacy,
            PersonSearchKey, Person,
        ):  # fmt: skip
            await connection.execute(delete(table))
        await connection.execute(delete(district_areas))
        await connection.execute(delete(ElectoralDistrict))
        await connection.execute(delete(Election))


async def count(engine: AsyncEngine, model: type) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(model)) or 0)


# Round trips ---------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["csv", "popolo"])
async def test_export_import_export_is_byte_identical(
    demo_engine: AsyncEngine, tmp_path: Path, file_format: str
) -> None:
    first = await exported(demo_engine, file_format)
    await wipe(demo_engine)
    assert await count(demo_engine, Candidacy) == 0
    suffix = ".csv" if file_format == "csv" else ".json"
    report = await import_text(demo_engine, tmp_path, first, suffix)
    assert report.candidacies_added == 59 and report.elections_added == 8
    assert await exported(demo_engine, file_format) == first
    other = "popolo" if file_format == "csv" else "csv"
    assert await exported(demo_engine, other)  # and the other format still reads it all


async def test_both_formats_carry_the_same_database(
    demo_engine: AsyncEngine, tmp_path: Path
) -> None:
    as_csv, as_popolo = await exported(demo_engine, "csv"), await exported(demo_engine, "popolo")
    await wipe(demo_engine)
    await import_text(demo_engine, tmp_path, as_popolo, ".json")
    assert await exported(demo_engine, "csv") == as_csv


async def test_export_keeps_the_demo_label(demo_engine: AsyncEngine, tmp_path: Path) -> None:
    text = await exported(demo_engine, "csv")
    await wipe(demo_engine)
    await import_text(demo_engine, tmp_path, text)
    async with demo_engine.connect() as connection:
        assert set(await connection.scalars(select(Election.demo))) == {True}


# Idempotence and updates ---------------------------------------------------


async def test_reimporting_the_same_file_changes_nothing(
    demo_engine: AsyncEngine, tmp_path: Path
) -> None:
    text = await exported(demo_engine, "csv")
    revisions = await count(demo_engine, PlatformPointRevision)
    keys = await count(demo_engine, PersonSearchKey)
    report = await import_text(demo_engine, tmp_path, text)
    assert not report.changed, report.summary()
    assert await count(demo_engine, PlatformPointRevision) == revisions
    assert await count(demo_engine, PersonSearchKey) == keys
    assert await exported(demo_engine, "csv") == text


async def test_a_changed_value_updates_the_row(demo_engine: AsyncEngine, tmp_path: Path) -> None:
    await import_text(demo_engine, tmp_path, csv_text(row()))
    report = await import_text(
        demo_engine, tmp_path, csv_text(row(stage="elected", district_seats="3",
                                            election_status="held"))
    )  # fmt: skip
    assert (report.candidacies_updated, report.districts_updated, report.elections_updated) == (
        1, 1, 1,
    )  # fmt: skip
    async with demo_engine.connect() as connection:
        stage = await connection.scalar(select(Candidacy.stage).where(Candidacy.key == "c1"))
        seats = await connection.scalar(
            select(ElectoralDistrict.seats).where(ElectoralDistrict.key == "d1")
        )
    assert (stage, seats) == ("elected", 3)


async def test_a_changed_platform_wording_adds_an_approved_revision_and_keeps_the_old(
    demo_engine: AsyncEngine, tmp_path: Path
) -> None:
    def platform(zh: str) -> str:
        return json.dumps([{"topic": "housing", "zh": zh, "en": "Housing."}], ensure_ascii=False)

    await import_text(demo_engine, tmp_path, csv_text(row(platform=platform("多建住房。"))))
    before = await count(demo_engine, PlatformPointRevision)
    same = await import_text(demo_engine, tmp_path, csv_text(row(platform=platform("多建住房。"))))
    assert same.revisions_added == 0
    changed = await import_text(
        demo_engine, tmp_path, csv_text(row(platform=platform("多建租房。")))
    )
    assert changed.revisions_added == 1 and changed.points_added == 0
    async with demo_engine.connect() as connection:
        texts = (
            await connection.execute(
                select(PlatformPointRevision.text, PlatformPointRevision.status)
                .join(PlatformPoint)
                .join(Candidacy)
                .where(Candidacy.key == "c1", PlatformPointRevision.language == "zh_CN")
                .order_by(PlatformPointRevision.id)
            )
        ).all()
    assert [tuple(t) for t in texts] == [("多建住房。", "approved"), ("多建租房。", "approved")]
    assert await count(demo_engine, PlatformPointRevision) == before + 1
    latest = await exported(demo_engine, "csv")
    assert "多建租房" in latest and "多建住房" not in latest


async def test_a_renamed_person_is_found_by_the_new_name_only(
    demo_engine: AsyncEngine, tmp_path: Path
) -> None:
    await import_text(demo_engine, tmp_path, csv_text(row(person_name="覃思远")))
    report = await import_text(
        demo_engine, tmp_path, csv_text(row(person_name="解放", person_aliases="解放军"))
    )
    assert report.persons_updated == 1
    async with unit_factory(demo_engine)() as unit:
        assert [c.name for c in (await search_candidacies(unit.session, "xiefang")).items] == [
            "解放"
        ]
        assert not (await search_candidacies(unit.session, "qinsiyuan")).items
        assert (await search_candidacies(unit.session, "解放军")).items


async def test_traditional_characters_are_stored_simplified(
    demo_engine: AsyncEngine, tmp_path: Path
) -> None:
    await import_text(demo_engine, tmp_path, csv_text(row(person_name="曾麗華")))
    async with demo_engine.connect() as connection:
        assert await connection.scalar(select(Person.name).where(Person.key == "p1")) == "曾丽华"


# Validation ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"stage": ""}, "line 2: stage is required"),
        ({"person_key": " "}, "line 2: person_key is required"),
        (
            {"stage": "winner"},
            "line 2: stage must be one of nominated, official, elected, not_elected, "
            "withdrawn, got 'winner'",
        ),
        ({"nomination": "independent"}, "line 2: nomination must be one of party,"),
        ({"election_level": "city"}, "line 2: election_level must be one of county, township"),
        ({"election_status": "soon"}, "line 2: election_status must be one of expected,"),
        (
            {"election_day": "2026/12/15"},
            "line 2: election_day must be an ISO date (YYYY-MM-DD), got '2026/12/15'",
        ),
        ({"roll_published_on": "15.11.2026"}, "line 2: roll_published_on must be an ISO date"),
        ({"election_updated": "yesterday"}, "line 2: election_updated must be an ISO date"),
        ({"district_seats": "5"}, "line 2: district_seats must be 1, 2 or 3, got '5'"),
        ({"district_seats": "two"}, "line 2: district_seats must be 1, 2 or 3, got 'two'"),
        (
            {"nominator_count": "9"},
            "line 2: nominator_count must be at least 10 for a voters_joint nomination "
            "(Election Law Art. 30), got 9",
        ),
        ({"nominator_count": "many"}, "line 2: nominator_count must be a whole number"),
        ({"election_area": "999999"}, "line 2: election_area: unknown area code '999999'"),
        ({"district_areas": "330106004;123"}, "line 2: district_areas: unknown area code '123'"),
        (
            {"election_area": "330106004"},
            "line 2: election_area 330106004 is a township, but election_level is county",
        ),
        (
            {"person_name": "Zeng Lixin"},
            "line 2: person_name must contain at least one Chinese character, got 'Zeng Lixin'",
        ),
        (
            {"person_aliases": "曾立; Li"},
            "line 2: person_aliases must contain at least one Chinese",
        ),
        ({"platform": "[{"}, "line 2: platform is not valid JSON"),
        ({"platform": '[{"topic": "roads"}]'}, "line 2: platform[0].topic must be one of"),
        ({"platform": '[{"topic": "housing", "fr": "x"}]'}, "platform[0] has unknown field 'fr'"),
        ({"election_demo": "yes"}, "line 2: election_demo must be true or false, got 'yes'"),
        ({"candidacy_key": "k" * 65}, "line 2: candidacy_key must be at most 64 characters"),
    ],
)
async def test_import_names_the_line_and_the_rule(
    demo_engine: AsyncEngine, tmp_path: Path, changes: dict[str, str], message: str
) -> None:
    assert message in await refusal(demo_engine, tmp_path, csv_text(row(**changes)))


@pytest.mark.parametrize(
    ("second", "message"),
    [
        (
            {"candidacy_key": "c2", "person_key": "p2", "election_status": "held"},
            "line 3: election 'e1' is given differently on line 2 (status 'held' vs 'announced')",
        ),
        (
            {"candidacy_key": "c2", "person_key": "p2", "district_seats": "3"},
            "line 3: district 'd1' is given differently on line 2 (seats 3 vs 2)",
        ),
        (
            {"candidacy_key": "c2", "person_name": "王建国"},
            "line 3: person 'p1' is given differently on line 2 (name '王建国' vs '曾立新')",
        ),
        ({"person_key": "p2"}, "line 3: candidacy key 'c1' is used again (first on line 2)"),
    ],
)
async def test_import_finds_keys_repeated_with_other_values(
    demo_engine: AsyncEngine, tmp_path: Path, second: dict[str, str], message: str
) -> None:
    assert message in await refusal(demo_engine, tmp_path, csv_text(row(), row(**second)))


async def test_import_lists_every_bad_line_not_just_the_first(
    demo_engine: AsyncEngine, tmp_path: Path
) -> None:
    text = csv_text(
        row(district_seats="5"),
        row(candidacy_key="c2", person_key="p2"),
        row(candidacy_key="c3", person_key="p3", stage="x", nominator_count="3"),
    )
    problems = (await refusal(demo_engine, tmp_path, text)).splitlines()
    assert problems[0] == "line 2: district_seats must be 1, 2 or 3, got '5'"
    assert any(p.startswith("line 4: stage must be") for p in problems)
    assert any(p.startswith("line 4: nominator_count must be at least 10") for p in problems)


async def test_import_refuses_whole_file_on_one_bad_line(
    demo_engine: AsyncEngine, tmp_path: Path
) -> None:
    before = await exported(demo_engine, "csv")
    good = [row(candidacy_key=f"c{i}", person_key=f"p{i}") for i in range(50)]
    bad = row(candidacy_key="c-bad", person_key="p-bad", person_name="Nobody")
    await refusal(demo_engine, tmp_path, csv_text(*good, bad))
    assert await exported(demo_engine, "csv") == before
    assert await count(demo_engine, Person) == 59


async def test_import_checks_the_header(demo_engine: AsyncEngine, tmp_path: Path) -> None:
    columns = (*(c for c in COLUMNS if c != "stage"), "colour")
    problems = await refusal(demo_engine, tmp_path, csv_text(row(), columns=columns))
    assert "line 1: missing column 'stage'" in problems
    assert "line 1: unknown column 'colour'" in problems


async def test_optional_columns_may_be_left_out(demo_engine: AsyncEngine, tmp_path: Path) -> None:
    required = ("election_key", "election_area", "election_level", "election_status",
                "district_key", "district_name", "district_seats", "district_areas",
                "candidacy_key", "stage", "nomination", "person_key", "person_name")  # fmt: skip
    report = await import_text(demo_engine, tmp_path, csv_text(row(), columns=required))
    assert report.candidacies_added == 1


async def test_import_reads_gzip(demo_engine: AsyncEngine, tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "input.csv.gz"
    path.write_bytes(gzip.compress(csv_text(row()).encode()))
    assert (await import_file(demo_engine, path, "csv")).candidacies_added == 1


# Popolo validation ---------------------------------------------------------


async def test_popolo_errors_name_the_json_path(demo_engine: AsyncEngine, tmp_path: Path) -> None:
    document = json.loads(await exported(demo_engine, "popolo"))
    document["memberships"][3]["extras"]["stage"] = "winner"
    document["memberships"][5]["person_id"] = "person:nobody"
    document["areas"][-1]["extras"]["seats"] = 4
    problems = await refusal(demo_engine, tmp_path, json.dumps(document), ".json")
    assert "$.memberships[3]: extras.stage must be one of" in problems
    assert f"$.areas[{len(document['areas']) - 1}]: extras.seats must be 1, 2 or 3, got '4'" in (
        problems
    )
    document["memberships"][3]["extras"]["stage"] = "official"
    document["areas"][-1]["extras"]["seats"] = 2
    problems = await refusal(demo_engine, tmp_path, json.dumps(document), ".json")
    assert "$.memberships[5]: person_id names no person of the file: 'nobody'" in problems


async def test_popolo_syntax_errors_say_where(demo_engine: AsyncEngine, tmp_path: Path) -> None:
    problems = await refusal(demo_engine, tmp_path, '{"persons": [{"id": "person:x",]}', ".json")
    assert problems.startswith("$: not valid JSON at character")


# The command ---------------------------------------------------------------


def _candibot(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CANDIBOT_DATABASE_URL": f"sqlite:///{database}"}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def test_cli_loads_areas_imports_and_exports(tmp_path: Path) -> None:
    database = tmp_path / "cli.sqlite"
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(csv_text(row(), row(candidacy_key="c2", person_key="p2", person_name="单伟")))
    bad.write_text(csv_text(row(district_seats="5"), row(candidacy_key="c1", stage="x")))

    loaded = _candibot(database, "areas", "load")
    assert loaded.returncode == 0, loaded.stderr
    refused = _candibot(database, "import", str(bad))
    assert refused.returncode == 1
    assert "line 2: district_seats must be 1, 2 or 3, got '5'" in refused.stderr
    assert "line 3: stage must be one of" in refused.stderr
    imported = _candibot(database, "import", str(good))
    assert imported.returncode == 0, imported.stderr
    assert "candidacies: 2 added" in imported.stderr
    dumped = _candibot(database, "export", "--format", "csv")
    assert dumped.returncode == 0 and dumped.stdout.count("\n") == 3
    assert ",c2,official,voters_joint,12,,,p2,单伟," in dumped.stdout
    again = _candibot(database, "import", str(good), "--format", "csv")
    assert "candidacies: 0 added, 0 updated" in again.stderr


# Large imports: the worker process and the indexes built after the load ---------


async def schema(engine: AsyncEngine) -> list[tuple[str, ...]]:
    """Every table, index and constraint as the database itself describes it."""
    async with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            rows = await connection.execute(
                text_sql("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
            )
        else:
            rows = await connection.execute(
                text_sql(
                    "SELECT 'index', indexname, tablename, indexdef FROM pg_indexes "
                    "WHERE schemaname = current_schema() UNION ALL "
                    "SELECT 'constraint', conname, conrelid::regclass::text, "
                    "pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE connamespace = current_schema()::regnamespace ORDER BY 1, 2"
                )
            )
        return [tuple(row) for row in rows]


async def differences_from_models(engine: AsyncEngine) -> list[object]:
    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as connection:
        return await connection.run_sync(diff)


@pytest.fixture
def rebuilt(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The CREATE statements of the indexes and constraints an import rebuilds."""
    created: list[str] = []
    rebuild = DeferredIndexes.rebuild

    async def spy(self: DeferredIndexes) -> None:
        created.extend(index.create for index in self.deferred)
        await rebuild(self)

    monkeypatch.setattr(DeferredIndexes, "rebuild", spy)
    return created


async def test_an_import_into_empty_tables_builds_their_indexes_after_and_as_before(
    demo_engine: AsyncEngine, tmp_path: Path, rebuilt: list[str]
) -> None:
    text = await exported(demo_engine, "csv")
    await wipe(demo_engine)
    before = await schema(demo_engine)
    models_before = await differences_from_models(demo_engine)
    await import_text(demo_engine, tmp_path, text)
    assert any("ix_person_search_keys_key" in sql for sql in rebuilt)
    assert any("ix_candidacies_person_id" in sql for sql in rebuilt)
    assert await schema(demo_engine) == before
    assert await differences_from_models(demo_engine) == models_before
    assert await exported(demo_engine, "csv") == text
    async with unit_factory(demo_engine)() as unit:
        assert (await search_candidacies(unit.session, "zeng lixin")).items


async def test_on_postgresql_constraints_are_set_aside_too_but_not_those_to_areas(
    demo_engine: AsyncEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if demo_engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps its constraints inside CREATE TABLE")
    text = await exported(demo_engine, "csv")
    await wipe(demo_engine)
    executed: list[str] = []
    execute = AsyncConnection.exec_driver_sql

    async def spy(self: AsyncConnection, statement: str, *args: Any, **kwargs: Any) -> Any:
        executed.append(statement)
        return await execute(self, statement, *args, **kwargs)

    monkeypatch.setattr(AsyncConnection, "exec_driver_sql", spy)
    await import_text(demo_engine, tmp_path, text)
    created = [sql for sql in executed if sql.startswith(("CREATE INDEX", "ALTER TABLE"))]
    added = [sql for sql in created if "ADD CONSTRAINT" in sql]
    assert any("fk_person_search_keys_person_id_persons" in sql for sql in added)
    assert any("uq_person_search_keys_entry" in sql for sql in added)
    assert not any("fk_district_areas_area_code_areas" in sql for sql in created)
    # Indexes first, then unique constraints, then the foreign keys that check the rows.
    kinds = ["index" if sql.startswith("CREATE") else "unique" if "UNIQUE" in sql else "fk"
             for sql in created if "DROP" not in sql]  # fmt: skip
    assert kinds == sorted(kinds, key=["index", "unique", "fk"].index)


async def test_an_import_leaves_planner_statistics_on_postgresql(
    demo_engine: AsyncEngine, tmp_path: Path
) -> None:
    if demo_engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    text = await exported(demo_engine, "csv")
    await wipe(demo_engine)
    async with demo_engine.begin() as connection:  # as if never analysed
        await connection.execute(text_sql("UPDATE pg_class SET reltuples = -1 WHERE oid = "
                                          "'person_search_keys'::regclass"))  # fmt: skip
    await import_text(demo_engine, tmp_path, text)
    async with demo_engine.connect() as connection:
        tuples = await connection.scalar(
            text_sql("SELECT reltuples FROM pg_class WHERE oid = 'person_search_keys'::regclass")
        )
    assert tuples is not None and tuples > 0


async def test_an_import_into_tables_with_rows_keeps_their_indexes(
    demo_engine: AsyncEngine, tmp_path: Path, rebuilt: list[str]
) -> None:
    before = await schema(demo_engine)
    await import_text(demo_engine, tmp_path, csv_text(row()))
    assert rebuilt == []
    assert await schema(demo_engine) == before


async def test_a_failure_after_the_indexes_were_dropped_leaves_the_database_as_it_was(
    demo_engine: AsyncEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = await exported(demo_engine, "csv")
    await wipe(demo_engine)
    before = await schema(demo_engine)

    async def broken(self: Merger) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(Merger, "_points", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        await import_text(demo_engine, tmp_path, text)
    assert await schema(demo_engine) == before
    assert await count(demo_engine, Person) == 0
    assert await count(demo_engine, Candidacy) == 0


@pytest.mark.parametrize("file_format", ["csv", "popolo"])
async def test_a_file_read_in_a_worker_process_imports_the_same(
    demo_engine: AsyncEngine, tmp_path: Path, file_format: str
) -> None:
    first = await exported(demo_engine, file_format)
    await wipe(demo_engine)
    path = tmp_path / ("input.csv" if file_format == "csv" else "input.json")
    path.write_text(first, encoding="utf-8")
    report = await import_source(demo_engine, FileSource(path, file_format), in_process=True)
    assert report.candidacies_added == 59
    assert await exported(demo_engine, file_format) == first


async def test_errors_found_in_a_worker_process_are_reported_alike(
    demo_engine: AsyncEngine, tmp_path: Path
) -> None:
    path = tmp_path / "input.csv"
    path.write_text(csv_text(row(district_seats="5"), row(candidacy_key="c1", stage="x")))
    refused = []
    for in_process in (False, True):
        with pytest.raises(ImportRefused) as error:
            await import_source(demo_engine, FileSource(path, "csv"), in_process=in_process)
        refused.append(error.value.problems.lines())
    assert refused[0] == refused[1]
    assert "line 2: district_seats must be 1, 2 or 3, got '5'" in refused[1]


async def test_a_file_that_cannot_be_read_raises_the_same_in_a_worker_process(
    demo_engine: AsyncEngine, tmp_path: Path
) -> None:
    path = tmp_path / "input.csv"
    path.write_bytes(csv_text(row()).encode() + b"\xff\xfe,broken\n")
    for in_process in (False, True):
        with pytest.raises(UnicodeDecodeError):
            await import_source(demo_engine, FileSource(path, "csv"), in_process=in_process)
    assert await count(demo_engine, Candidacy) == 59


async def test_a_failing_import_stops_its_worker_processes(
    demo_engine: AsyncEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "input.csv"
    path.write_text(await exported(demo_engine, "csv"), encoding="utf-8")

    async def full(self: StagingWriter, rows: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(StagingWriter, "write", full)
    with pytest.raises(OSError, match="disk full"):
        await import_source(demo_engine, FileSource(path, "csv"), in_process=True)
    assert multiprocessing.active_children() == []


async def test_the_import_reports_its_progress(demo_engine: AsyncEngine, tmp_path: Path) -> None:
    path = tmp_path / "input.csv"
    path.write_text(csv_text(row()))
    phases: list[tuple[str, int, int | None]] = []
    await import_file(demo_engine, path, "csv", progress=lambda *step: phases.append(step))
    names = list(dict.fromkeys(phase for phase, _, _ in phases))
    assert names[:2] == ["reading", "checking"]
    assert "writing persons" in names and names[-1] == "indexing"
    assert ("reading", path.stat().st_size, path.stat().st_size) in phases
