"""CSV export cannot carry a formula into a spreadsheet (OWASP "CSV injection"): a cell
that begins with = + - @ tab or carriage return leaves with a ' in front, and the import
takes it off again, so export, import and export still give the same values and bytes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import Election, ElectoralDistrict, Person
from tests.test_exchange import csv_text, exported, import_text, row, wipe

FORMULA = '=HYPERLINK("http://x","y")'
#: Values a spreadsheet would run, and values that already look escaped.
TRICKY = (
    FORMULA, "=1+2", "+8613800000000", "-5", "@SUM(A1)", "'=quoted already", "''+twice",
    "'plain quote", "it's =fine", "=", "'",
)  # fmt: skip
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), strict=True))


def neutral(text: str) -> bool:
    return not any(cell.startswith(DANGEROUS) for line in cells(text) for cell in line)


async def _make_tricky(engine: AsyncEngine) -> None:
    """Free-text values and keys of the demo data that begin like formulas."""
    async with engine.begin() as connection:
        elections = list(await connection.scalars(select(Election.id).order_by(Election.id)))
        for i, election_id in enumerate(elections):
            value = TRICKY[i % len(TRICKY)]
            await connection.execute(
                update(Election)
                .where(Election.id == election_id)
                .values(source=value, key=f"{value}e{i}")
            )
        districts = list(
            await connection.scalars(select(ElectoralDistrict.id).order_by(ElectoralDistrict.id))
        )
        for i, district_id in enumerate(districts):
            await connection.execute(
                update(ElectoralDistrict)
                .where(ElectoralDistrict.id == district_id)
                .values(name=TRICKY[i % len(TRICKY)], key=f"{TRICKY[-i % len(TRICKY)]}d{i}")
            )
        first = await connection.scalar(select(Person.id).order_by(Person.id).limit(1))
        await connection.execute(
            update(Person).where(Person.id == first).values(aliases=["=王芳", "-李静"])
        )


async def _values(engine: AsyncEngine) -> tuple[list[str | None], list[str], list[str]]:
    async with engine.connect() as connection:
        elections = await connection.execute(select(Election.key, Election.source))
        districts = await connection.execute(select(ElectoralDistrict.key, ElectoralDistrict.name))
        aliases = await connection.scalars(select(Person.aliases))
        return (
            sorted(f"{k}|{s}" for k, s in elections),
            sorted(f"{k}|{n}" for k, n in districts),
            sorted(";".join(a or ()) for a in aliases),
        )


async def test_csv_export_neutralises_formulas(demo_engine: AsyncEngine) -> None:
    async with demo_engine.begin() as connection:
        await connection.execute(update(Election).values(source=FORMULA))
    text = await exported(demo_engine, "csv")
    header, *lines = cells(text)
    sources = {line[header.index("election_source")] for line in lines}
    assert sources == {"'" + FORMULA}
    assert neutral(text)


async def test_csv_round_trip_keeps_values_that_look_like_formulas(
    demo_engine: AsyncEngine, tmp_path: Path
) -> None:
    await _make_tricky(demo_engine)
    before = await _values(demo_engine)
    first = await exported(demo_engine, "csv")
    assert neutral(first)
    await wipe(demo_engine)
    await import_text(demo_engine, tmp_path, first)
    assert await _values(demo_engine) == before
    assert await exported(demo_engine, "csv") == first


async def test_csv_import_takes_one_quote_off_before_a_formula_character_only(
    demo_engine: AsyncEngine, tmp_path: Path
) -> None:
    given = {"e1": "'=x", "e2": "''-x", "e3": "'plain", "e4": "it's", "e5": "'"}
    lines = [
        row(election_key=key, election_source=source, district_key=f"d{key}",
            candidacy_key=f"c{key}")
        for key, source in given.items()
    ]  # fmt: skip
    await import_text(demo_engine, tmp_path, csv_text(*lines))
    async with demo_engine.connect() as connection:
        result = await connection.execute(
            select(Election.key, Election.source).where(Election.key.in_(list(given)))
        )
        stored = {key: source for key, source in result}
    assert stored == {"e1": "=x", "e2": "'-x", "e3": "'plain", "e4": "it's", "e5": "'"}
