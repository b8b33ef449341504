"""A name typed in full finds that name first, before the longer names it begins: for
candidates (characters, pinyin, initials) and for places, however many places begin
with it. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.areas import RANKED_AREAS, AreaView, add_areas, search_areas
from storage.candidates import search_candidacies
from storage.dataset import load_dataset
from storage.unit import unit_factory

#: Longer names first, so that neither insertion order nor ids put the exact one first.
NAMES = ("王芳芳", "王芳林", "王芳")


def _election(names: tuple[str, ...]) -> dict[str, Any]:
    candidates = [
        {"key": f"rank-c{i}", "name": name, "aliases": [], "stage": "official",
         "nomination": "voters_joint", "nominators": 10, "platform": []}
        for i, name in enumerate(names)
    ]  # fmt: skip
    district = {"key": "rank-d1", "number": 1, "name": "第1选区", "seats": 3,
                "areas": ["330106004"], "candidates": candidates}  # fmt: skip
    return {"key": "rank-e1", "area": "330106", "level": "county", "election_day": "2026-12-15",
            "status": "announced", "source": "test", "updated": "2026-11-20",
            "districts": [district]}  # fmt: skip


@pytest.mark.parametrize("query", ["王芳", "wangfang", "wang fang", "Wáng Fāng", "wf", "王 芳"])
async def test_an_exact_candidate_name_ranks_above_names_it_begins(
    demo_engine: AsyncEngine, query: str
) -> None:
    async with unit_factory(demo_engine)() as unit:
        await load_dataset(unit.session, {"dataset": "test", "elections": [_election(NAMES)]})
    async with unit_factory(demo_engine)() as unit:
        page = await search_candidacies(unit.session, query)
    found = [item.name for item in page.items]
    assert found[0] == "王芳", found
    assert {"王芳芳", "王芳林"} <= set(found[1:]), "the longer names follow"


async def test_an_exact_place_name_ranks_above_more_places_than_a_search_reads(
    demo_engine: AsyncEngine,
) -> None:
    """More places begin with 文新 than a search ranks (RANKED_AREAS): the one called
    just 文新, with the largest code, is still found, and first."""
    longer = [
        AreaView(f"330106{100 + i:03d}", f"文新{i}村", "township", "330106")
        for i in range(RANKED_AREAS + 50)
    ]
    exact = AreaView("330106999", "文新", "township", "330106")
    async with unit_factory(demo_engine)() as unit:
        await add_areas(unit.session, [*longer, exact])
    # 文新街道 is called 文新 for short (wenxin): an exact match of the pinyin too.
    for query, first in (("文新", {"330106999"}), ("wx", {"330106999"}),
                         ("wenxin", {"330106999", "330106013"})):  # fmt: skip
        async with unit_factory(demo_engine)() as unit:
            found = await search_areas(unit.session, query, limit=8)
        assert {a.code for a in found[: len(first)]} == first, (query, [a.name for a in found])
