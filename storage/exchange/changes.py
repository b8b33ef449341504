"""What an import changed that followers of a place want to hear of: an election's day,
status or announced milestones, and candidacies added or moved to another stage.

Only elections somebody follows are looked at (by their place, a place above it, or a
place one of their districts covers), so an import into a database nobody follows, or
the first load of millions of candidacies, costs one small query more."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, cast

from sqlalchemy import Table, or_, select, union
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import (
    Area,
    Candidacy,
    Election,
    ElectoralDistrict,
    Person,
    Subscription,
    district_areas,
)

from .staging import Staging

#: The election columns whose change is news for followers.
DATE_FIELDS = (
    "election_day", "status", "roll_published_on", "nominees_published_on",
    "official_list_published_on",
)  # fmt: skip

AREAS, ELECTIONS, DISTRICTS, SUBSCRIPTIONS, PERSONS, CANDIDACIES = (
    cast(Table, model.__table__)
    for model in (Area, Election, ElectoralDistrict, Subscription, Person, Candidacy)
)


@dataclass(frozen=True, slots=True)
class DateChange:
    election_id: int
    #: Among ``DATE_FIELDS``: what changed; for a new election, what it sets.
    fields: tuple[str, ...]
    new: bool


@dataclass(frozen=True, slots=True)
class CandidacyChange:
    election_id: int
    district_id: int
    district: str
    name: str
    stage: str
    #: The stage before; None for a new candidacy.
    before: str | None


@dataclass
class ImportChanges:
    dates: list[DateChange] = field(default_factory=list)
    candidacies: list[CandidacyChange] = field(default_factory=list)
    #: election key -> (fields, new), noted while elections are merged.
    _noted: dict[str, tuple[tuple[str, ...], bool]] = field(default_factory=dict)

    def note_election(self, key: str, stored: Any, values: dict[str, Any]) -> None:
        """Compare a stored election row (None if new) with the imported values."""
        if stored is None:
            fields = tuple(name for name in DATE_FIELDS if values.get(name) is not None)
            self._noted[key] = (fields, True)
            return
        fields = tuple(name for name in DATE_FIELDS if getattr(stored, name) != values[name])
        if fields:
            self._noted[key] = (fields, False)

    async def collect(self, connection: AsyncConnection, staging: Staging) -> None:
        """After elections, districts and persons are merged, before candidacies are:
        the changes in elections somebody follows."""
        watched = await _watched(connection)
        if not watched:
            return
        if self._noted:
            wanted = ELECTIONS.c.key.in_(list(self._noted))
            found = await connection.execute(select(ELECTIONS.c.key, ELECTIONS.c.id).where(wanted))
            ids = {key: election_id for key, election_id in found}
            for key, (fields, new) in self._noted.items():
                if ids.get(key) in watched:
                    self.dates.append(DateChange(ids[key], fields, new))
        x, c, d, p = staging.candidacies, CANDIDACIES, DISTRICTS, PERSONS
        rows = await connection.execute(
            select(d.c.election_id, d.c.id, d.c.name, p.c.name, x.c.stage, c.c.stage)
            .select_from(x)
            .join(d, d.c.key == x.c.district_key)
            .join(p, p.c.key == x.c.person_key)
            .outerjoin(c, c.c.key == x.c.key)
            .where(
                d.c.election_id.in_(sorted(watched)),
                or_(c.c.id.is_(None), c.c.stage != x.c.stage),
            )
            .order_by(d.c.election_id, d.c.id, x.c.key)
        )
        self.candidacies = [CandidacyChange(*row) for row in rows]


async def _watched(connection: AsyncConnection) -> set[int]:
    """Ids of the elections some chat follows: by the election's place or one up to three
    levels above it, or by a place a district covers or the one above that."""
    followed = select(SUBSCRIPTIONS.c.area_code)
    if await connection.scalar(followed.limit(1)) is None:
        return set()
    e = ELECTIONS
    chain = [AREAS.alias(f"up{n}") for n in range(3)]
    joined: Any = e.outerjoin(chain[0], chain[0].c.code == e.c.area_code)
    for lower, upper in pairwise(chain):
        joined = joined.outerjoin(upper, upper.c.code == lower.c.parent_code)
    by_place = (
        select(e.c.id)
        .select_from(joined)
        .where(or_(e.c.area_code.in_(followed), *(up.c.parent_code.in_(followed) for up in chain)))
    )
    da, up = district_areas, AREAS.alias("covered")
    by_district = (
        select(DISTRICTS.c.election_id)
        .join(da, da.c.district_id == DISTRICTS.c.id)
        .outerjoin(up, up.c.code == da.c.area_code)
        .where(or_(da.c.area_code.in_(followed), up.c.parent_code.in_(followed)))
    )
    return set((await connection.scalars(union(by_place, by_district))).all())
