"""Issue 13, findings 13 and 14: the ``candibot`` command as an operator meets it on a
fresh clone. A real process in an empty working directory with no ``CANDIBOT_*``
settings: the defaults work, and every mistake an operator can make is one line on
standard error that says how to fix it, with a non-zero exit and no traceback (unless
asked for with ``--debug`` or ``CANDIBOT_LOG_LEVEL=DEBUG``)."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from storage.dataset import load_dataset, read_packaged
from storage.db import make_engine
from storage.unit import unit_factory
from tests.test_exchange import csv_text, row

PG_URL = os.environ.get("CANDIBOT_TEST_POSTGRES_URL")

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def candibot(tmp_path: Path) -> Run:
    """``candibot ARGS`` in an empty directory, with no candibot setting but ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CANDIBOT_")}
    clean["CANDIBOT_CONFIG"] = str(tmp_path / "none.toml")

    def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", *args],
            capture_output=True, text=True, env=clean | env, cwd=tmp_path, timeout=120,
            check=False,
        )  # fmt: skip

    return run


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single line of a refusal: non-zero exit, nothing else said, no traceback."""
    everything = result.stdout + result.stderr
    assert "Traceback" not in everything, everything
    assert result.returncode == 1, everything
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and not result.stdout, everything
    assert lines[0].startswith("candibot: "), everything
    return lines[0]


# Finding 13: the defaults work on a fresh clone -------------------------------------


@pytest.mark.parametrize(
    "command",
    [["db", "upgrade"], ["db", "current"], ["export", "--format", "csv"],
     ["moderators", "list"], ["purge"]],
    ids=" ".join,
)  # fmt: skip
def test_commands_run_on_a_fresh_clone_with_the_default_database(
    candibot: Run, tmp_path: Path, command: list[str]
) -> None:
    result = candibot(*command)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    var = tmp_path / "var"
    assert (var / "candibot.sqlite").is_file()
    assert stat.S_IMODE(var.stat().st_mode) == 0o700, "the database's directory is private"


def test_audit_verify_on_a_fresh_clone_says_there_is_no_key_yet(candibot: Run) -> None:
    line = one_line(candibot("audit", "verify"))
    assert "var/audit.key" in line and "CANDIBOT_AUDIT_KEY_FILE" in line


def test_a_database_directory_that_is_not_the_default_is_not_created(
    candibot: Run, tmp_path: Path
) -> None:
    """A missing directory may be an unmounted (encrypted) volume: never write beside it."""
    missing = tmp_path / "mnt" / "secure"
    line = one_line(candibot("db", "upgrade", "--db", f"sqlite:///{missing}/candibot.sqlite"))
    assert str(missing) in line and "--db" in line
    assert not missing.exists()


# Finding 13: every operator error is one line with its fix --------------------------


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["db", "upgrade", "--db", "postgresql://candibot@127.0.0.1:1/candibot"], {},
         "cannot reach PostgreSQL at 127.0.0.1:1"),
        (["purge"], {"CANDIBOT_DATABASE_URL": "postgresql://candibot@no-such-host.invalid/x"},
         "CANDIBOT_DATABASE_URL"),
        (["export", "--format", "csv", "--db", "not a url"], {}, "--db is not a database URL"),
        (["db", "current", "--db", "mysql://root@localhost/candibot"], {},
         "SQLite (sqlite:///path) or PostgreSQL"),
        (["run"], {"CANDIBOT_IDENTITY_KEY": "not-a-key"}, "CANDIBOT_IDENTITY_KEY is not a key"),
        (["moderators", "list"], {"CANDIBOT_REMINDER_HOUR": "nine"}, "CANDIBOT_REMINDER_HOUR"),
        (["audit", "verify"], {"CANDIBOT_AUDIT_KEY_FILE": "/nonexistent/audit.key"},
         "/nonexistent/audit.key"),
    ],
    ids=["postgresql-refused", "postgresql-unknown-host", "bad-url", "mysql", "identity-key",
         "bad-setting", "missing-audit-key"],
)  # fmt: skip
def test_an_operator_error_is_one_line(
    candibot: Run, args: list[str], env: dict[str, str], expected: str
) -> None:
    assert expected in one_line(candibot(*args, **env))


def test_a_database_migrated_by_a_newer_candibot_is_one_line(candibot: Run, tmp_path: Path) -> None:
    path = tmp_path / "newer.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        connection.execute("INSERT INTO alembic_version VALUES ('9999_from_the_future')")
    line = one_line(candibot("moderators", "list", "--db", f"sqlite:///{path}"))
    assert "9999_from_the_future" in line and "newer" in line


@pytest.mark.skipif(not PG_URL, reason="CANDIBOT_TEST_POSTGRES_URL is not set")
def test_a_postgresql_database_that_does_not_exist_is_one_line(candibot: Run) -> None:
    assert PG_URL
    url = make_url(PG_URL).set(database="candibot_no_such_database")
    line = one_line(candibot("db", "upgrade", "--db", url.render_as_string(hide_password=False)))
    assert "candibot_no_such_database" in line and "createdb" in line


@pytest.mark.parametrize("how", ["--debug", "CANDIBOT_LOG_LEVEL=DEBUG"])
def test_debug_shows_the_traceback(candibot: Run, how: str) -> None:
    args, env = ["db", "upgrade", "--db", "not a url"], {}
    if how == "--debug":
        args.append("--debug")
    else:
        env["CANDIBOT_LOG_LEVEL"] = "DEBUG"
    result = candibot(*args, **env)
    assert result.returncode == 1 and "Traceback" in result.stderr, result.stderr


# Finding 14: the import's messages --------------------------------------------------


def demo_database(tmp_path: Path, sqlite_template: Path) -> str:
    """A database with the demo's places (and its candidates), as `areas load` leaves one."""
    path = tmp_path / "demo.sqlite"
    shutil.copyfile(sqlite_template, path)

    async def load() -> None:
        engine = make_engine(f"sqlite:///{path}")
        async with unit_factory(engine)() as unit:
            await load_dataset(unit.session, read_packaged())
        await engine.dispose()

    asyncio.run(load())
    return f"sqlite:///{path}"


def contested(
    seats: int, standing: int, district: str = "d9", stage: str = "official"
) -> list[dict[str, str]]:
    """One district of ``seats`` with ``standing`` candidacies."""
    return [
        row(district_key=district, district_seats=str(seats), candidacy_key=f"{district}-{n}",
            person_key=f"{district}-{n}", person_name="李" + "一二三四五六七八九"[n],
            stage=stage)
        for n in range(standing)
    ]  # fmt: skip


def popolo_of(candibot: Run, tmp_path: Path, url: str, rows: list[dict[str, str]]) -> Path:
    """The same records as a Popolo file: imported as CSV into a copy, exported again."""
    copy = tmp_path / "copy.sqlite"
    shutil.copyfile(make_url(url).database or "", copy)
    source, target = tmp_path / "source.csv", tmp_path / "source.json"
    source.write_text(csv_text(*rows), encoding="utf-8")
    assert candibot("import", str(source), "--db", f"sqlite:///{copy}").returncode == 0
    exported = candibot("export", "--format", "popolo", "--output", str(target),
                        "--db", f"sqlite:///{copy}")  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    return target


@pytest.mark.parametrize("file_format", ["csv", "popolo"])
def test_an_import_into_a_database_without_divisions_says_so_once(
    candibot: Run, tmp_path: Path, sqlite_template: Path, file_format: str
) -> None:
    rows = [row(district_key=f"d{n}", candidacy_key=f"c{n}") for n in range(5)]
    if file_format == "csv":
        path = tmp_path / "candidates.csv"
        path.write_text(csv_text(*rows), encoding="utf-8")
    else:
        path = popolo_of(candibot, tmp_path, demo_database(tmp_path, sqlite_template), rows)
    empty = tmp_path / "empty.sqlite"
    shutil.copyfile(sqlite_template, empty)
    line = one_line(candibot("import", str(path), "--db", f"sqlite:///{empty}"))
    assert "no administrative divisions" in line and "`candibot areas load`" in line


@pytest.mark.parametrize("file_format", ["csv", "popolo"])
def test_a_district_without_more_candidates_than_seats_is_imported_with_a_warning(
    candibot: Run, tmp_path: Path, sqlite_template: Path, file_format: str
) -> None:
    url = demo_database(tmp_path, sqlite_template)
    rows = contested(seats=2, standing=2) + contested(seats=2, standing=3, district="d8")
    if file_format == "csv":
        path = tmp_path / "candidates.csv"
        path.write_text(csv_text(*rows), encoding="utf-8")
    else:
        path = popolo_of(candibot, tmp_path, url, rows)
    result = candibot("import", str(path), "--db", url)
    assert result.returncode == 0, result.stderr
    assert "candidacies: 5 added" in result.stderr
    warnings = [line for line in result.stderr.splitlines() if "Art. 31" in line]
    assert len(warnings) == 1, result.stderr
    assert "'d9'" in warnings[0] and "2 candidates for 2 seats" in warnings[0]
    assert "'d8'" not in result.stderr, "3 candidates for 2 seats is what the law asks"


def test_an_official_list_of_more_than_double_the_seats_is_a_warning(
    candibot: Run, tmp_path: Path, sqlite_template: Path
) -> None:
    url = demo_database(tmp_path, sqlite_template)
    path = tmp_path / "candidates.csv"
    path.write_text(csv_text(*contested(seats=1, standing=3)), encoding="utf-8")
    result = candibot("import", str(path), "--db", url)
    assert result.returncode == 0, result.stderr
    assert "3 candidates for 1 seat" in result.stderr and "Art. 31" in result.stderr


def test_one_error_is_one_error(candibot: Run, tmp_path: Path, sqlite_template: Path) -> None:
    url = demo_database(tmp_path, sqlite_template)
    path = tmp_path / "candidates.csv"
    path.write_text(csv_text(row(district_seats="5")), encoding="utf-8")
    result = candibot("import", str(path), "--db", url)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == "candibot: 1 error; nothing was imported"


async def test_warnings_name_ten_districts_and_count_the_rest(
    tmp_path: Path, sqlite_template: Path
) -> None:
    from storage.exchange import import_file

    engine = make_engine(await asyncio.to_thread(demo_database, tmp_path, sqlite_template))
    path = tmp_path / "candidates.csv"
    rows = [r for n in range(12) for r in contested(seats=1, standing=1, district=f"d{n:02}")]
    path.write_text(csv_text(*rows), encoding="utf-8")
    try:
        report = await import_file(engine, path, "csv")
    finally:
        await engine.dispose()
    assert report.candidacies_added == 12 and report.warned == 12
    lines = report.warning_lines()
    assert len(lines) == 11 and lines[-1] == "... and 2 more districts like that"
    assert lines[0].startswith("district 'd00' (第1选区): 1 candidate for 1 seat on the official")


# Issue 15, item 7: `candibot db backup` -------------------------------------------


def test_a_backup_never_overwrites_a_file_and_names_pg_dump_for_postgresql(
    candibot: Run, tmp_path: Path, sqlite_template: Path
) -> None:
    database = tmp_path / "live.sqlite"
    shutil.copyfile(sqlite_template, database)
    existing = tmp_path / "yesterday.sqlite"
    existing.write_bytes(b"yesterday's backup")
    line = one_line(candibot("db", "backup", "--db", f"sqlite:///{database}", str(existing)))
    assert line == f"candibot: {existing} exists already: name a new file"
    assert existing.read_bytes() == b"yesterday's backup"
    line = one_line(
        candibot("db", "backup", "--db", "postgresql://candibot@127.0.0.1/candibot", "x.sqlite")
    )
    assert "pg_dump" in line and not (tmp_path / "x.sqlite").exists()
