"""Changes to the candidate lists entered in chat: a candidacy added (with a new election
or district when the notice names one the bot does not know), or a candidacy corrected.
Each carries its source and the day it was checked, waits until moderators other than
its proposer approve it, and is then applied in the approving event's transaction. What
it would change is checked again then: the lists may have moved since it was proposed."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dataset import new_person
from storage.models import (
    Area,
    Candidacy,
    ChangeKind,
    Election,
    ElectionStatus,
    ElectoralDistrict,
    ListChange,
    Moderation,
    Person,
    PersonSearchKey,
    Stage,
)
from storage.notices import photo_sha
from storage.search_keys import display_pinyin, name_keys

#: The stages of a candidate on the official list (正式代表候选人, Art. 32) or past it.
LISTED = frozenset({Stage.official, Stage.elected, Stage.not_elected})
#: What a correction may change.
FIELDS = ("name", "stage", "nomination", "seats")
#: An election made from a notice photo says so in both languages, as the demo's do.
PHOTO_SOURCE = "选举委员会公告照片 / photo of the election committee's notice"


@dataclass(frozen=True, slots=True)
class NewCandidacy:
    """A candidacy to add. ``place`` is the county or township it was entered for: the
    area of a new election, and what a new district covers."""

    place: str
    election_id: int | None
    district_id: int | None
    district_number: int | None
    seats: int | None
    name: str
    nomination: str
    nominators: int | None
    stage: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NewCandidacy:
        values: dict[str, Any] = {name: data.get(name) for name in cls.__slots__}
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Correction:
    """One field of a candidacy corrected; ``before`` is what the proposer saw.
    ``nomination`` values are ``[nomination, nominators]``."""

    candidacy_id: int
    field: str
    before: Any
    after: Any

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Correction:
        return cls(data["candidacy_id"], data["field"], data.get("before"), data.get("after"))


@dataclass(frozen=True, slots=True)
class Contest:
    """A district's seats and candidates, as Election Law Art. 31 counts them."""

    seats: int
    #: On the official list or past it.
    listed: int
    #: Not withdrawn.
    standing: int

    def moved(self, before: str | None, after: str | None) -> Contest:
        """The counts once a candidate moves from stage ``before`` to ``after`` (None:
        not in the district)."""

        def count(stage: str | None, stages: frozenset[str] | set[str]) -> int:
            return 1 if stage is not None and stage in stages else 0

        standing = {s.value for s in Stage} - {Stage.withdrawn.value}
        return Contest(
            self.seats,
            self.listed - count(before, LISTED) + count(after, LISTED),
            self.standing - count(before, standing) + count(after, standing),
        )


@dataclass(frozen=True, slots=True)
class Applied:
    """What an approved change did, for the audit log and the followers."""

    candidacy_id: int
    election_id: int
    district_id: int
    name: str
    district: str
    stage: str
    #: None when the candidacy is new.
    before_stage: str | None
    field: str | None = None
    before: Any = None
    after: Any = None
    new_election: bool = False
    new_district: bool = False


class Stale(Exception):
    """The change no longer fits the lists: ``reason`` is "gone", "changed" or
    "duplicate"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _key(kind: str) -> str:
    """A stable key for a row made in chat: exports and imports refer to it."""
    return f"chat-{kind}-{secrets.token_hex(8)}"


async def contest(session: AsyncSession, district_id: int | None, seats: int = 1) -> Contest:
    """The district's counts; a district still to be made has none yet (``seats``)."""
    if district_id is None:
        return Contest(seats, 0, 0)
    district = await session.get(ElectoralDistrict, district_id)
    if district is None:
        return Contest(seats, 0, 0)
    stages = await session.execute(
        select(Candidacy.stage, func.count())
        .where(Candidacy.district_id == district_id)
        .group_by(Candidacy.stage)
    )
    counted = {stage: int(n) for stage, n in stages}
    return Contest(
        district.seats,
        sum(n for stage, n in counted.items() if stage in LISTED),
        sum(n for stage, n in counted.items() if stage != Stage.withdrawn),
    )


async def listed_as(session: AsyncSession, district_id: int | None, name: str) -> int | None:
    """The candidacy of someone called ``name`` in the district, if there is one."""
    if district_id is None:
        return None
    found: int | None = await session.scalar(
        select(Candidacy.id)
        .join(Person, Person.id == Candidacy.person_id)
        .where(Candidacy.district_id == district_id, Person.name == name)
        .limit(1)
    )
    return found


async def propose(
    session: AsyncSession, proposer: str, change: NewCandidacy | Correction, source: str,
    checked_on: date,
) -> ListChange:  # fmt: skip
    row = ListChange(
        kind=ChangeKind.add if isinstance(change, NewCandidacy) else ChangeKind.edit,
        proposer=proposer,
        change=change.to_json(),
        source=source,
        checked_on=checked_on,
        status=Moderation.pending,
        approvals=[],
        candidacy_id=change.candidacy_id if isinstance(change, Correction) else None,
    )
    session.add(row)
    await session.flush()
    return row


def parsed(row: ListChange) -> NewCandidacy | Correction:
    if row.kind == ChangeKind.add:
        return NewCandidacy.from_json(row.change)
    return Correction.from_json(row.change)


async def next_pending(
    session: AsyncSession, moderator: str, skip: int | None = None
) -> ListChange | None:
    """The oldest pending change ``moderator`` neither proposed nor approved already
    (after ``skip``, when they skipped one)."""
    query = (
        select(ListChange)
        .where(ListChange.status == Moderation.pending, ListChange.proposer != moderator)
        .order_by(ListChange.id)
        .limit(50)
    )
    if skip is not None:
        query = query.where(ListChange.id > skip)
    for row in await session.scalars(query):
        if moderator not in (row.approvals or []):
            return row
    return None


async def pending(session: AsyncSession, change_id: int) -> ListChange | None:
    """The change, locked for this transaction, while it is still pending."""
    row = await session.get(ListChange, change_id, with_for_update=True)
    return row if row is not None and row.status == Moderation.pending else None


def approve(row: ListChange, moderator: str) -> int:
    """Add ``moderator``'s approval (once); how many different moderators approved."""
    if moderator not in row.approvals:
        row.approvals = [*row.approvals, moderator]
    return len(row.approvals)


def close(row: ListChange, status: Moderation, now: datetime) -> None:
    row.status, row.decided_at = status, now


async def apply(session: AsyncSession, row: ListChange, now: datetime) -> Applied:
    """Make the change; raises ``Stale`` (and changes nothing) when it no longer fits."""
    change = parsed(row)
    if isinstance(change, NewCandidacy):
        applied = await _add(session, row, change, now)
    else:
        applied = await _correct(session, row, change)
    row.candidacy_id = applied.candidacy_id
    close(row, Moderation.approved, now)
    await session.flush()
    return applied


async def _election(
    session: AsyncSession, change: NewCandidacy, row: ListChange, now: datetime
) -> tuple[Election, bool]:
    if change.election_id is not None:
        election = await session.get(Election, change.election_id)
        if election is None:
            raise Stale("gone")
        return election, False
    area = await session.get(Area, change.place)
    if area is None:
        raise Stale("gone")
    election = Election(
        key=_key("e"), area_code=area.code, level=area.level, election_day=None,
        status=ElectionStatus.expected,
        source=PHOTO_SOURCE if photo_sha(row.source) else row.source, updated_at=now,
    )  # fmt: skip
    session.add(election)
    await session.flush()
    return election, True


async def _district(
    session: AsyncSession, change: NewCandidacy, election: Election
) -> tuple[ElectoralDistrict, bool]:
    if change.district_id is not None:
        district = await session.get(ElectoralDistrict, change.district_id)
        if district is None or district.election_id != election.id:
            raise Stale("gone")
        return district, False
    number = change.district_number
    if number is not None:  # made meanwhile by another change from the same notice
        existing = await session.scalar(
            select(ElectoralDistrict).where(
                ElectoralDistrict.election_id == election.id, ElectoralDistrict.number == number
            )
        )
        if existing is not None:
            if existing.seats != change.seats:
                raise Stale("changed")
            return existing, False
    area = await session.get(Area, change.place)
    if area is None or change.seats is None:
        raise Stale("gone")
    district = ElectoralDistrict(
        key=_key("d"), election_id=election.id, number=number,
        name=f"第{number}选区" if number is not None else area.name, seats=change.seats,
    )  # fmt: skip
    district.areas = [area]
    session.add(district)
    await session.flush()
    return district, True


async def _add(
    session: AsyncSession, row: ListChange, change: NewCandidacy, now: datetime
) -> Applied:
    election, new_election = await _election(session, change, row, now)
    district, new_district = await _district(session, change, election)
    if await listed_as(session, district.id, change.name) is not None:
        raise Stale("duplicate")
    key = _key("c")
    person = new_person(key, change.name, [])
    session.add(person)
    candidacy = Candidacy(
        key=key, person=person, district_id=district.id, stage=change.stage,
        nomination=change.nomination, nominator_count=change.nominators,
        source=row.source, checked_on=row.checked_on,
    )  # fmt: skip
    session.add(candidacy)
    await session.flush()
    return Applied(
        candidacy.id, election.id, district.id, person.name, district.name, candidacy.stage,
        None, new_election=new_election, new_district=new_district,
    )  # fmt: skip


async def current(session: AsyncSession, candidacy: Candidacy, field: str) -> Any:
    """What a correctable field of a candidacy holds now, as a correction records it."""
    if field == "name":
        person = await session.get_one(Person, candidacy.person_id)
        return person.name
    if field == "stage":
        return candidacy.stage
    if field == "nomination":
        return [candidacy.nomination, candidacy.nominator_count]
    district = await session.get_one(ElectoralDistrict, candidacy.district_id)
    return district.seats


async def _correct(session: AsyncSession, row: ListChange, change: Correction) -> Applied:
    candidacy = await session.get(Candidacy, change.candidacy_id)
    if candidacy is None or change.field not in FIELDS:
        raise Stale("gone")
    if await current(session, candidacy, change.field) != change.before:
        raise Stale("changed")
    person = await session.get_one(Person, candidacy.person_id)
    district = await session.get_one(ElectoralDistrict, candidacy.district_id)
    before_stage = candidacy.stage
    if change.field == "name":
        if await listed_as(session, district.id, change.after) is not None:
            raise Stale("duplicate")
        await rename(session, person, change.after)
    elif change.field == "stage":
        candidacy.stage = change.after
    elif change.field == "nomination":
        candidacy.nomination, candidacy.nominator_count = change.after
    else:
        district.seats = change.after
    candidacy.source, candidacy.checked_on = row.source, row.checked_on
    await session.flush()
    return Applied(
        candidacy.id, district.election_id, district.id, person.name, district.name,
        candidacy.stage, before_stage, change.field, change.before, change.after,
    )  # fmt: skip


async def rename(session: AsyncSession, person: Person, name: str) -> None:
    """A corrected name, with its display pinyin and search keys made anew. The old keys
    go first: the new ones may repeat some (the same initials), and the keys are unique."""
    await session.execute(delete(PersonSearchKey).where(PersonSearchKey.person_id == person.id))
    session.expire(person, ["search_keys"])
    person.name, person.pinyin = name, display_pinyin(name)
    session.add_all(
        PersonSearchKey(person_id=person.id, kind=k.kind.value, key=k.key)
        for k in name_keys(name, person.aliases or [])
    )
