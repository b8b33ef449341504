"""Administrative divisions: loading the packaged NBS data, search keys, look-ups."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import case, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Area, AreaLevel, AreaSearchKey, Election, KeyKind, district_areas
from storage.search_keys import (
    QueryKey,
    SearchKey,
    bounded,
    place_pinyin,
    query_key,
    simplified,
    typo_variants,
)
from storage.types import starts_with

DIVISIONS_FILE = "divisions.tsv.gz"
_BATCH = 5000
#: Matching areas a search reads and ranks, at most; it also bounds the IN lists that
#: ask which of them hold elections.
RANKED_AREAS = 200


#: Names the statistics use for a level that has no real place of its own.
PLACEHOLDER_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})


@dataclass(frozen=True, slots=True)
class AreaView:
    code: str
    name: str
    level: str
    parent_code: str | None

    @property
    def placeholder(self) -> bool:
        return self.name in PLACEHOLDER_NAMES


def read_divisions() -> Iterator[AreaView]:
    """Provinces to townships from the packaged file (see storage/data/DIVISIONS.md)."""
    source = resources.files("storage.data").joinpath(DIVISIONS_FILE)
    with source.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as text:
        for row in csv.DictReader(text, delimiter="\t"):
            yield AreaView(row["code"], row["name"], row["level"], row["parent_code"] or None)


#: Generic endings of place names; a name is also findable without them ("hangzhou").
SUFFIXES = (
    "特别行政区", "街道办事处", "自治区", "自治州", "自治县", "自治旗", "民族乡",
    "街道", "新区", "地区", "林区", "苏木", "省", "市", "区", "县", "旗", "盟", "镇", "乡",
)  # fmt: skip


def bare_name(name: str) -> str:
    """西湖区 -> 西湖; 杭州市 -> 杭州; a name that would be too short keeps its ending."""
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def area_keys(name: str) -> set[SearchKey]:
    """西湖区 -> 西湖区, xihuqu, xhq, and the bare name's xihu, xh."""
    simple = simplified(name)
    syllables = place_pinyin(simple)
    keys = {SearchKey(KeyKind.hanzi, simple)}
    if syllables:
        keys.add(SearchKey(KeyKind.pinyin, "".join(syllables)))
        keys.add(SearchKey(KeyKind.initials, "".join(s[:1] for s in syllables)))
        bare = len(bare_name(simple))
        if bare < len(simple) and len(syllables) == len(simple):
            keys.add(SearchKey(KeyKind.pinyin, "".join(syllables[:bare])))
    return keys


async def add_areas(session: AsyncSession, areas: Iterable[AreaView]) -> int:
    """Insert the areas not yet stored, parents before children, with their search keys."""
    known = set(await session.scalars(select(Area.code)))
    fresh = sorted((a for a in areas if a.code not in known), key=lambda a: len(a.code))
    fresh.sort(key=lambda a: list(AreaLevel).index(AreaLevel(a.level)))
    for start in range(0, len(fresh), _BATCH):
        batch = fresh[start : start + _BATCH]
        await session.execute(
            insert(Area),
            [
                {"code": a.code, "name": a.name, "level": a.level, "parent_code": a.parent_code}
                for a in batch
            ],
        )
        await session.execute(
            insert(AreaSearchKey),
            [
                {"area_code": a.code, "kind": k.kind.value, "key": k.key}
                for a in batch
                for k in area_keys(a.name)
            ],
        )
    return len(fresh)


async def load_divisions(session: AsyncSession) -> int:
    return await add_areas(session, read_divisions())


def _view(area: Area) -> AreaView:
    return AreaView(area.code, area.name, area.level, area.parent_code)


async def get_area(session: AsyncSession, code: str) -> AreaView | None:
    area = await session.get(Area, code)
    return _view(area) if area else None


async def children(
    session: AsyncSession, parent: str | None, *, limit: int = 200, offset: int = 0
) -> list[AreaView]:
    condition = Area.parent_code.is_(None) if parent is None else Area.parent_code == parent
    rows = await session.scalars(
        select(Area).where(condition).order_by(Area.code).offset(offset).limit(limit)
    )
    return [_view(a) for a in rows]


async def count_children(session: AsyncSession, parent: str | None) -> int:
    condition = Area.parent_code.is_(None) if parent is None else Area.parent_code == parent
    return int(await session.scalar(select(func.count()).where(condition)) or 0)


async def ancestors(session: AsyncSession, code: str) -> list[AreaView]:
    """From the province down to ``code`` itself."""
    chain: list[AreaView] = []
    current = await session.get(Area, code)
    while current is not None:
        chain.append(_view(current))
        current = await session.get(Area, current.parent_code) if current.parent_code else None
    return chain[::-1]


async def search_areas(session: AsyncSession, query: str, *, limit: int = 8) -> list[AreaView]:
    """Areas whose name matches: exact before prefix, places with elections first, then
    higher levels; by index range. With no match, names one typo away (pinyin)."""
    wanted = query_key(query)
    if wanted is None:
        return []
    found = await _ranked_areas(session, wanted, limit)
    if found or KeyKind.pinyin not in wanted.kinds:
        return found
    variants = typo_variants(wanted.key)
    if not variants:
        return []
    result = await session.execute(
        select(Area, literal(2))
        .join(AreaSearchKey, AreaSearchKey.area_code == Area.code)
        .where(AreaSearchKey.key.in_(bounded(variants)), AreaSearchKey.kind == KeyKind.pinyin)
        .limit(RANKED_AREAS)
    )
    return await _best(session, list(result), limit)


async def _ranked_areas(session: AsyncSession, wanted: QueryKey, limit: int) -> list[AreaView]:
    keys = (
        select(
            AreaSearchKey.area_code.label("code"),
            func.min(case((AreaSearchKey.key == wanted.key, 0), else_=1)).label("rank"),
        )
        .where(
            starts_with(AreaSearchKey.key, wanted.key),
            AreaSearchKey.kind.in_([kind.value for kind in wanted.kinds]),
        )
        .group_by(AreaSearchKey.area_code)
        .limit(RANKED_AREAS)
        .subquery()
    )
    result = await session.execute(select(Area, keys.c.rank).join(keys, keys.c.code == Area.code))
    return await _best(session, list(result), limit)


async def _best(session: AsyncSession, rows: list[Any], limit: int) -> list[AreaView]:
    """Rank (area, match rank) rows: better match, then places with elections, then level."""
    with_data = await _areas_with_elections(session, [area.code for area, _ in rows])
    levels = list(AreaLevel)
    rows.sort(
        key=lambda row: (
            row[1],
            row[0].code not in with_data,
            levels.index(AreaLevel(row[0].level)),
            row[0].code,
        )
    )
    unique = dict.fromkeys(area.code for area, _ in rows)
    by_code = {area.code: area for area, _ in rows}
    return [_view(by_code[code]) for code in list(unique)[:limit]]


async def _areas_with_elections(session: AsyncSession, codes: list[str]) -> set[str]:
    """Which of ``codes`` hold an election or lie in an electoral district: shown first."""
    if not codes:
        return set()
    held = await session.scalars(select(Election.area_code).where(Election.area_code.in_(codes)))
    covered = await session.scalars(
        select(district_areas.c.area_code).where(district_areas.c.area_code.in_(codes))
    )
    return set(held) | set(covered)
