"""Loads a dataset in the JSON shape of ``storage/data/demo.json`` (areas, elections,
districts, candidacies, platforms), upserting by stable keys so a reload is a no-op."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.areas import AreaView, add_areas
from storage.models import (
    Area,
    Candidacy,
    Election,
    ElectoralDistrict,
    Moderation,
    Person,
    PersonSearchKey,
    PlatformPoint,
    PlatformPointRevision,
)
from storage.search_keys import display_pinyin, name_keys, simplified

DEMO_DATASET = "demo.json"


def read_packaged(name: str = DEMO_DATASET) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        resources.files("storage.data").joinpath(name).read_text("utf-8")
    )
    return data


def new_person(key: str, name: str, aliases: list[str]) -> Person:
    """A person with display pinyin and search keys computed now, once."""
    name = simplified(name)
    person = Person(key=key, name=name, pinyin=display_pinyin(name), aliases=aliases)
    person.search_keys = [
        PersonSearchKey(kind=k.kind.value, key=k.key) for k in name_keys(name, aliases)
    ]
    return person


async def load_dataset(session: AsyncSession, data: dict[str, Any]) -> int:
    """Add what is not there yet; returns how many candidacies were added."""
    demo = data.get("dataset") == "demo"
    await add_areas(
        session,
        (
            AreaView(a["code"], a["name"], a["level"], a.get("parent"))
            for a in data.get("areas", [])
        ),
    )
    added = 0
    with session.no_autoflush:
        for item in data.get("elections", []):
            added += await _load_election(session, item, demo)
    await session.flush()
    return added


async def _load_election(session: AsyncSession, item: dict[str, Any], demo: bool) -> int:
    if await session.scalar(select(Election.id).where(Election.key == item["key"])):
        return 0
    day = item.get("election_day")
    updated = item.get("updated")
    election = Election(
        key=item["key"],
        area_code=item["area"],
        level=item["level"],
        election_day=date.fromisoformat(day) if day else None,
        status=item["status"],
        source=item.get("source", ""),
        updated_at=datetime.fromisoformat(updated).replace(tzinfo=UTC)
        if updated
        else datetime.now(UTC),
        demo=demo,
    )
    session.add(election)
    added = 0
    for district_item in item.get("districts", []):
        district = ElectoralDistrict(
            key=district_item["key"],
            election=election,
            number=district_item.get("number"),
            name=district_item["name"],
            seats=district_item["seats"],
        )
        district.areas = [
            await session.get_one(Area, code) for code in district_item.get("areas", [])
        ]
        session.add(district)
        for candidate in district_item.get("candidates", []):
            await _load_candidacy(session, district, candidate)
            added += 1
    return added


async def _load_candidacy(
    session: AsyncSession, district: ElectoralDistrict, item: dict[str, Any]
) -> None:
    person = await session.scalar(select(Person).where(Person.key == item["key"]))
    if person is None:
        person = new_person(item["key"], item["name"], list(item.get("aliases", [])))
        session.add(person)
    election = district.election
    checked = item.get("checked")
    candidacy = Candidacy(
        key=item["key"],
        person=person,
        district=district,
        stage=item["stage"],
        nomination=item["nomination"],
        nominator_count=item.get("nominators"),
        # Unless it says otherwise, a candidacy was checked where and when its election was.
        source=item.get("source", election.source),
        checked_on=date.fromisoformat(checked) if checked else election.updated_at.date(),
    )
    session.add(candidacy)
    for position, point_item in enumerate(item.get("platform", [])):
        point = PlatformPoint(candidacy=candidacy, topic=point_item["topic"], position=position)
        session.add(point)
        for language, field in (("zh_CN", "zh"), ("en", "en")):
            if point_item.get(field):
                session.add(
                    PlatformPointRevision(
                        point=point,
                        language=language,
                        text=point_item[field],
                        status=Moderation.approved,
                    )
                )
