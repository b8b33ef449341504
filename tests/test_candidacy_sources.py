"""Every candidacy carries where it was checked and when: migration 0007 gives existing
ones their election's source and day, the import and export carry both (CSV and Popolo,
an empty cell keeps what is stored), and the profile shows them; on SQLite and
PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.memory import MemoryAdapter
from storage.db import make_engine, upgrade
from storage.models import Candidacy
from tests.helpers import texts
from tests.test_exchange import csv_text, exported, import_text, refusal, row

PHOTO = "photo:" + "ab" * 32


async def _stored(engine: AsyncEngine, key: str) -> tuple[str, date | None]:
    async with engine.connect() as connection:
        found = (
            await connection.execute(
                select(Candidacy.source, Candidacy.checked_on).where(Candidacy.key == key)
            )
        ).one()
    return found[0], found[1]


async def test_migration_gives_existing_candidacies_their_elections_source(
    db_url: str,
) -> None:
    # A fresh schema at 0006, a candidacy in it, then the upgrade.
    engine = make_engine(db_url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        tables = await connection.run_sync(
            lambda sync: sync.dialect.get_table_names(sync)  # type: ignore[attr-defined]
        )
        for table in tables:
            drop = "DROP TABLE IF EXISTS {} CASCADE" if "postgresql" in db_url else "DROP TABLE {}"
            await connection.execute(text(drop.format(f'"{table}"')))
    await upgrade(engine, "0006")
    async with engine.begin() as connection:
        for statement in (
            "INSERT INTO areas (code, name, level) VALUES ('330106', '西湖区', 'county')",
            "INSERT INTO elections (id, key, area_code, level, status, source, updated_at, demo)"
            " VALUES (1, 'e', '330106', 'county', 'announced', '区选举委员会公告', "
            "'2026-11-20 08:00:00+00', false)",
            "INSERT INTO electoral_districts (id, key, election_id, name, seats) "
            "VALUES (1, 'd', 1, '第1选区', 2)",
            "INSERT INTO persons (id, key, name, pinyin, aliases) "
            "VALUES (1, 'p', '曾立新', 'Zēng Lìxīn', '[]')",
            "INSERT INTO candidacies (id, key, person_id, district_id, stage, nomination, trusted)"
            " VALUES (1, 'c', 1, 1, 'official', 'party', false)",
        ):
            await connection.execute(text(statement))
    await upgrade(engine)
    assert await _stored(engine, "c") == ("区选举委员会公告", date(2026, 11, 20))
    await engine.dispose()


async def test_csv_carries_the_source_and_the_day_it_was_checked(
    demo_engine: AsyncEngine, tmp_path: Path
) -> None:
    engine = demo_engine  # the demo brings the areas an import needs
    checked = row(candidacy_source=PHOTO, candidacy_checked="2026-11-21")
    await import_text(engine, tmp_path, csv_text(checked))
    assert await _stored(engine, "c1") == (PHOTO, date(2026, 11, 21))
    first = await exported(engine, "csv")
    line = next(r for r in csv.DictReader(io.StringIO(first)) if r["candidacy_key"] == "c1")
    assert (line["candidacy_source"], line["candidacy_checked"]) == (PHOTO, "2026-11-21")

    # Left empty, both keep what is stored; given, they replace it.
    report = await import_text(engine, tmp_path, csv_text(row()))
    assert report.candidacies_updated == 0
    assert await _stored(engine, "c1") == (PHOTO, date(2026, 11, 21))
    link = row(candidacy_source="https://example.org/n", candidacy_checked="2026-11-25")
    await import_text(engine, tmp_path, csv_text(link))
    assert await _stored(engine, "c1") == ("https://example.org/n", date(2026, 11, 25))

    bad = await refusal(engine, tmp_path, csv_text(row(candidacy_checked="25.11.2026")))
    assert "line 2: candidacy_checked must be an ISO date (YYYY-MM-DD)" in bad


async def test_popolo_carries_them_in_the_memberships_extras(
    demo_engine: AsyncEngine, tmp_path: Path
) -> None:
    engine = demo_engine  # the demo brings the areas an import needs
    await import_text(engine, tmp_path, csv_text(row(candidacy_source="https://example.org/n",
                                                     candidacy_checked="2026-11-21")))  # fmt: skip
    document = json.loads(await exported(engine, "popolo"))
    (extras,) = [m["extras"] for m in document["memberships"] if m["id"] == "candidacy:c1"]
    assert (extras["source"], extras["checked_on"]) == ("https://example.org/n", "2026-11-21")


async def test_the_demo_candidacies_name_their_source(chat: MemoryAdapter) -> None:
    english = texts(await chat.say("/candidate 1", language="en"))
    assert "Source: demo data · checked November 20, 2026" in english
    chinese = texts(await chat.say("/candidate 1", language="zh-hans"))
    assert "来源：演示数据 · 核对于 2026年11月20日" in chinese
