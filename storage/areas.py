"""Administrative divisions: loading the packaged NBS data, search keys, look-ups."""

from __future__ import annotations

import csv
import gzip
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.metadata import version
from typing import Any, cast

from sqlalchemy import Table, func, insert, literal, select
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
#: The divisions' search keys, computed ahead by tools/division_keys.py.
DIVISION_KEYS_FILE = "division_keys.tsv.gz"
_BATCH = 5000
#: Matching areas a search reads and ranks, at most, of each tier (exact, prefix); it also
#: bounds the IN lists that ask which of them hold elections.
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


def packaged_keys() -> dict[str, set[SearchKey]] | None:
    """The packaged divisions' search keys, or None if another pypinyin release made
    them (its pinyin may differ from what a query computes now)."""
    source = resources.files("storage.data").joinpath(DIVISION_KEYS_FILE)
    if not source.is_file():
        return None
    with source.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as text:
        if text.readline().strip() != f"# pypinyin {version('pypinyin')}":
            return None
        kinds = {kind.value: kind for kind in KeyKind}
        keys: dict[str, set[SearchKey]] = {}
        for line in text:
            code, kind, key = line.rstrip("\n").split("\t")
            keys.setdefault(code, set()).add(SearchKey(kinds[kind], key))
    return keys


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


def names_a_place(query: str, places: Iterable[AreaView]) -> bool:
    """Whether ``query`` is meant as a place: one of ``places`` by its whole or bare name,
    in characters or pinyin (西湖区, 西湖, xihu), or characters that end as a place's name
    does (杭州市西湖区, 三墩镇)."""
    wanted = query_key(query)
    if wanted is None:
        return False
    if KeyKind.hanzi in wanted.kinds and bare_name(wanted.key) != wanted.key:
        return True
    for place in places:
        simple = simplified(place.name)
        keys = {k.key for k in area_keys(simple) if k.kind != KeyKind.initials}
        if wanted.key in keys | {bare_name(simple)}:
            return True
    return False


async def add_areas(
    session: AsyncSession,
    areas: Iterable[AreaView],
    known_keys: Mapping[str, set[SearchKey]] | None = None,
) -> int:
    """Insert the areas not yet stored, parents before children, with their search keys
    (from ``known_keys`` where it has the area, else computed)."""
    keys_of = known_keys or {}
    known = set(await session.scalars(select(Area.code)))
    fresh = sorted((a for a in areas if a.code not in known), key=lambda a: len(a.code))
    fresh.sort(key=lambda a: list(AreaLevel).index(AreaLevel(a.level)))
    for start in range(0, len(fresh), _BATCH):
        batch = fresh[start : start + _BATCH]
        # Core inserts of the tables, not the ORM's bulk path: a tenth of the work per row.
        await session.execute(
            insert(cast(Table, Area.__table__)),
            [
                {"code": a.code, "name": a.name, "level": a.level, "parent_code": a.parent_code}
                for a in batch
            ],
        )
        await session.execute(
            insert(cast(Table, AreaSearchKey.__table__)),
            [
                {"area_code": a.code, "kind": k.kind.value, "key": k.key}
                for a in batch
                for k in (keys_of.get(a.code) or area_keys(a.name))
            ],
        )
    return len(fresh)


async def load_divisions(session: AsyncSession) -> int:
    return await add_areas(session, read_divisions(), packaged_keys())


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


#: A division code: province and prefecture (6 digits), township (9), village (12).
_CODE = re.compile(r"[0-9]{6}|[0-9]{9}|[0-9]{12}")
#: Endings a place named last in a path may be typed without (杭州西湖 for 西湖区).
_LEAF_ENDINGS = ("", "区", "县", "市", "镇", "乡", "街道")


async def search_areas(session: AsyncSession, query: str, *, limit: int = 8) -> list[AreaView]:
    """Areas whose name matches: exact before prefix, places with elections first, then
    higher levels; by index range. A division code names its place; a path of names
    (杭州市西湖区, 浙江杭州西湖区三墩镇) names the last place inside the ones before it.
    With no match, names one typo away (pinyin)."""
    code = unicodedata.normalize("NFKC", query).strip()
    if _CODE.fullmatch(code):
        area = await get_area(session, code)
        return [area] if area else []
    wanted = query_key(query)
    if wanted is None:
        return []
    found = await _ranked_areas(session, wanted, limit)
    if found:
        return found
    if KeyKind.hanzi in wanted.kinds:
        return await _by_path(session, wanted.key, limit)
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
    """Exact matches, then prefix matches, each read by an index range that stops at
    RANKED_AREAS: however many places begin with the query, one called just that is
    among those ranked."""
    kinds = AreaSearchKey.kind.in_([kind.value for kind in wanted.kinds])
    rows: list[Any] = []
    for rank, matches in ((0, AreaSearchKey.key == wanted.key),
                          (1, starts_with(AreaSearchKey.key, wanted.key))):  # fmt: skip
        codes = (
            select(AreaSearchKey.area_code.label("code"))
            .where(matches, kinds)
            .group_by(AreaSearchKey.area_code)
            .limit(RANKED_AREAS)
            .subquery()
        )
        found = await session.execute(
            select(Area, literal(rank)).join(codes, codes.c.code == Area.code)
        )
        rows += list(found)
    return await _best(session, rows, limit)


async def _by_path(session: AsyncSession, key: str, limit: int) -> list[AreaView]:
    """杭州市西湖区 -> the 西湖区 inside 杭州市. The last place is looked up by its exact
    name keys (each tail of ``key``, with or without a generic ending), then its
    ancestors by primary key, a level at a time; the head must spell some of them in
    order, each whole or bare (杭州 for 杭州市). Index look-ups only."""
    heads: dict[str, list[str]] = {}
    for cut in range(2, len(key) - 1):
        for ending in _LEAF_ENDINGS:
            heads.setdefault(key[cut:] + ending, []).append(key[:cut])
    if not heads:
        return []
    leaves = list(
        await session.execute(
            select(Area, AreaSearchKey.key)
            .join(AreaSearchKey, AreaSearchKey.area_code == Area.code)
            .where(AreaSearchKey.kind == KeyKind.hanzi, AreaSearchKey.key.in_(bounded(heads)))
            .limit(RANKED_AREAS)
        )
    )
    known: dict[str, Area] = {}
    wanted = {area.parent_code for area, _ in leaves if area.parent_code}
    while wanted:
        rows = await session.scalars(select(Area).where(Area.code.in_(sorted(wanted))))
        known.update((area.code, area) for area in rows)
        wanted = {a.parent_code for a in known.values() if a.parent_code} - known.keys()
    found = []
    for area, leaf in leaves:
        chain: list[str] = []
        parent = known.get(area.parent_code or "")
        while parent is not None:
            if parent.name not in PLACEHOLDER_NAMES:
                chain.insert(0, simplified(parent.name))
            parent = known.get(parent.parent_code or "")
        if any(_spells(head, chain) for head in heads[leaf]):
            found.append((area, 0))
    return await _best(session, found, limit)


def _spells(head: str, names: list[str]) -> bool:
    """Whether ``head`` is some of ``names`` in order, each whole or bare."""
    if not head:
        return True
    return any(
        head.startswith(form) and _spells(head[len(form) :], names[index + 1 :])
        for index, name in enumerate(names)
        for form in {name, bare_name(name)}
    )


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
