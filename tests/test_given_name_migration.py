"""Migration 0007: the given-name keys of persons stored before it are filled in, the
same keys an import writes; going back removes them."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.candidates import search_candidacies
from storage.db import alembic_config, upgrade
from storage.models import KeyKind, Person, PersonSearchKey
from storage.search_keys import name_keys
from storage.unit import unit_factory

GIVEN = (KeyKind.given_hanzi.value, KeyKind.given_pinyin.value)


async def _downgrade(engine: AsyncEngine, revision: str) -> None:
    from alembic import command

    def run(connection: Connection) -> None:
        command.downgrade(alembic_config(connection), revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def _stored_keys(engine: AsyncEngine) -> dict[int, set[tuple[str, str]]]:
    async with unit_factory(engine)() as unit:
        rows = await unit.session.execute(
            select(PersonSearchKey.person_id, PersonSearchKey.kind, PersonSearchKey.key)
        )
        stored: dict[int, set[tuple[str, str]]] = {}
        for person_id, kind, key in rows:
            stored.setdefault(person_id, set()).add((kind, key))
    return stored


async def _names(engine: AsyncEngine) -> list[str]:
    async with unit_factory(engine)() as unit:
        pages = [await search_candidacies(unit.session, q) for q in ("立新", "lixin")]
    return [item.name for page in pages for item in page.items]


async def test_upgrading_fills_in_the_given_name_keys_of_stored_persons(
    demo_engine: AsyncEngine,
) -> None:
    await _downgrade(demo_engine, "0006")
    before = await _stored_keys(demo_engine)
    assert before and not any(kind in GIVEN for keys in before.values() for kind, _ in keys)
    assert await _names(demo_engine) == []

    await upgrade(demo_engine)

    async with unit_factory(demo_engine)() as unit:
        persons = (await unit.session.scalars(select(Person))).all()
    stored = await _stored_keys(demo_engine)
    for person in persons:  # exactly what an import of the same names writes
        expected = {(k.kind.value, k.key) for k in name_keys(person.name, person.aliases)}
        assert stored[person.id] == expected, person.name
    assert await _names(demo_engine) == ["曾立新", "曾立新"]


async def test_downgrading_removes_the_given_name_keys_and_their_kinds(
    demo_engine: AsyncEngine,
) -> None:
    await _downgrade(demo_engine, "0006")
    with pytest.raises(IntegrityError):
        async with unit_factory(demo_engine)() as unit:
            person = await unit.session.scalar(select(Person.id).limit(1))
            unit.session.add(PersonSearchKey(person_id=person, kind="given_hanzi", key="立新"))
