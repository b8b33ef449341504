"""The schema: migrations match the models, and the rules the law and the design set hold."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.candidates import search_candidacies
from storage.dataset import load_dataset, new_person, read_packaged
from storage.models import (
    Base,
    Candidacy,
    Election,
    ElectoralDistrict,
    Moderation,
    PlatformPoint,
    PlatformPointRevision,
)
from storage.unit import unit_factory


async def test_migrations_create_exactly_the_models(engine: AsyncEngine) -> None:
    def diff(connection: object) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})  # type: ignore[arg-type]
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as connection:
        assert await connection.run_sync(diff) == []


async def test_loading_the_demo_twice_adds_nothing(engine: AsyncEngine) -> None:
    data = read_packaged()
    async with unit_factory(engine)() as unit:
        first = await load_dataset(unit.session, data)
    async with unit_factory(engine)() as unit:
        second = await load_dataset(unit.session, data)
    assert first >= 40 and second == 0


async def test_demo_dataset_is_big_enough_to_page(demo_engine: AsyncEngine) -> None:
    async with unit_factory(demo_engine)() as unit:
        districts = (await unit.session.scalars(select(ElectoralDistrict.id))).all()
        candidacies = (await unit.session.scalars(select(Candidacy.id))).all()
        demo = (await unit.session.scalars(select(Election.demo))).all()
    assert len(districts) >= 8 and len(candidacies) >= 40
    assert all(demo)


async def test_a_district_elects_one_to_three(demo_engine: AsyncEngine) -> None:
    with pytest.raises(IntegrityError):
        async with unit_factory(demo_engine)() as unit:
            election = await unit.session.scalar(select(Election).limit(1))
            assert election is not None
            unit.session.add(ElectoralDistrict(key="x", election=election, name="x", seats=4))


async def test_a_joint_nomination_needs_ten_voters(demo_engine: AsyncEngine) -> None:
    with pytest.raises(IntegrityError):
        async with unit_factory(demo_engine)() as unit:
            district = await unit.session.scalar(select(ElectoralDistrict).limit(1))
            assert district is not None
            unit.session.add(
                Candidacy(
                    key="x",
                    person=new_person("px", "甲乙", []),
                    district=district,
                    stage="nominated",
                    nomination="voters_joint",
                    nominator_count=9,
                )
            )


async def test_platform_revisions_are_append_only(demo_engine: AsyncEngine) -> None:
    with pytest.raises(ValueError, match="append-only"):
        async with unit_factory(demo_engine)() as unit:
            revision = await unit.session.scalar(select(PlatformPointRevision).limit(1))
            assert revision is not None
            revision.text = "silently rewritten"
            await unit.session.flush()
    async with unit_factory(demo_engine)() as unit:
        revision = await unit.session.scalar(select(PlatformPointRevision).limit(1))
        assert revision is not None
        revision.status = Moderation.rejected  # a decision may move; the words may not
        point = await unit.session.get_one(PlatformPoint, revision.point_id)
        unit.session.add(
            PlatformPointRevision(
                point=point, language="en", text="new words", status=Moderation.pending
            )
        )


def test_demo_places_are_real_divisions() -> None:
    """The demo's codes and names come from the NBS data file, not from memory."""
    import csv
    import gzip
    from importlib import resources

    source = resources.files("storage.data").joinpath("divisions.tsv.gz")
    with source.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as text:
        rows = {row["code"]: row for row in csv.DictReader(text, delimiter="\t")}
    for area in read_packaged()["areas"]:
        real = rows[area["code"]]
        assert (real["name"], real["level"], real["parent_code"] or None) == (
            area["name"],
            area["level"],
            area["parent"],
        ), area


async def test_cursors_survive_a_new_engine(db_url: str) -> None:
    from storage.cursors import Cursors
    from storage.db import make_engine

    first = make_engine(db_url)
    assert await Cursors(first).load("telegram", "offset") is None
    await Cursors(first).save("telegram", "offset", "41")
    await Cursors(first).save("telegram", "offset", "42")
    await first.dispose()
    second = make_engine(db_url)
    assert await Cursors(second).load("telegram", "offset") == "42"
    await second.dispose()


async def test_a_prefix_search_leaves_the_planner_settings_as_they_were(
    demo_engine: AsyncEngine,
) -> None:
    async with unit_factory(demo_engine)() as unit:
        page = await search_candidacies(unit.session, "王")  # a surname: the prefix tier
        assert page.items and all(item.name.startswith("王") for item in page.items)
        if demo_engine.dialect.name == "postgresql":
            setting = await unit.session.scalar(text("SELECT current_setting('enable_bitmapscan')"))
            assert setting == "on"
