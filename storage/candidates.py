"""Read models for candidacies: search results and profiles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Row, Select, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import (
    Area,
    Candidacy,
    CandidateAccount,
    Election,
    ElectoralDistrict,
    Moderation,
    Person,
    PersonSearchKey,
    PlatformPoint,
    PlatformPointRevision,
)
from storage.search_keys import query_key

#: Above every code point, so ``key < prefix + _TOP`` bounds a prefix range.
_TOP = "\U0010ffff"


@dataclass(frozen=True, slots=True)
class CandidacySummary:
    id: int
    name: str
    pinyin: str
    stage: str
    nomination: str
    nominator_count: int | None
    district_name: str
    district_number: int | None
    seats: int
    area_code: str
    area_name: str
    election_level: str
    election_day: date | None
    election_status: str
    demo: bool


@dataclass(frozen=True, slots=True)
class PointView:
    topic: str
    text: str
    language: str


@dataclass(frozen=True, slots=True)
class Profile:
    summary: CandidacySummary
    aliases: tuple[str, ...]
    points: tuple[PointView, ...]
    verified: bool


@dataclass(frozen=True, slots=True)
class SearchPage:
    items: tuple[CandidacySummary, ...]
    has_more: bool


SummaryRow = Row[Candidacy, Person, ElectoralDistrict, Election, Area]


def _summary_query() -> Select[Candidacy, Person, ElectoralDistrict, Election, Area]:
    return (
        select(Candidacy, Person, ElectoralDistrict, Election, Area)
        .join(Person, Candidacy.person_id == Person.id)
        .join(ElectoralDistrict, Candidacy.district_id == ElectoralDistrict.id)
        .join(Election, ElectoralDistrict.election_id == Election.id)
        .join(Area, Election.area_code == Area.code)
    )


def _summary(row: SummaryRow) -> CandidacySummary:
    candidacy, person, district, election, area = row
    return CandidacySummary(
        id=candidacy.id,
        name=person.name,
        pinyin=person.pinyin,
        stage=candidacy.stage,
        nomination=candidacy.nomination,
        nominator_count=candidacy.nominator_count,
        district_name=district.name,
        district_number=district.number,
        seats=district.seats,
        area_code=area.code,
        area_name=area.name,
        election_level=election.level,
        election_day=election.election_day,
        election_status=election.status,
        demo=election.demo,
    )


async def search_candidacies(
    session: AsyncSession, query: str, *, limit: int = 8, offset: int = 0
) -> SearchPage:
    """Candidacies whose person's name matches ``query``: exact matches first, then prefixes.

    Uses the index on search keys with a range scan, never a table scan.
    """
    wanted = query_key(query)
    if wanted is None:
        return SearchPage((), False)
    keys = aliased(PersonSearchKey)
    ranked = (
        select(
            keys.person_id.label("person_id"),
            func.min(case((keys.key == wanted.key, 0), else_=1)).label("rank"),
        )
        .where(
            keys.key >= wanted.key,
            keys.key < wanted.key + _TOP,
            keys.kind.in_([kind.value for kind in wanted.kinds]),
        )
        .group_by(keys.person_id)
        .subquery()
    )
    rows = await session.execute(
        _summary_query()
        .join(ranked, ranked.c.person_id == Person.id)
        .order_by(ranked.c.rank, Person.pinyin, Candidacy.id)
        .offset(offset)
        .limit(limit + 1)
    )
    items = [_summary(row) for row in rows]
    return SearchPage(tuple(items[:limit]), len(items) > limit)


async def candidacy_summary(session: AsyncSession, candidacy_id: int) -> CandidacySummary | None:
    row = (await session.execute(_summary_query().where(Candidacy.id == candidacy_id))).first()
    return _summary(row) if row else None


async def candidacy_profile(
    session: AsyncSession, candidacy_id: int, language: str
) -> Profile | None:
    """The public profile: only approved platform wording, in ``language`` where there is one."""
    row = (await session.execute(_summary_query().where(Candidacy.id == candidacy_id))).first()
    if row is None:
        return None
    summary = _summary(row)
    person = row[1]
    latest = (
        select(
            PlatformPointRevision.point_id,
            PlatformPointRevision.language,
            func.max(PlatformPointRevision.id).label("revision_id"),
        )
        .join(PlatformPoint, PlatformPoint.id == PlatformPointRevision.point_id)
        .where(
            PlatformPoint.candidacy_id == candidacy_id,
            PlatformPointRevision.status == Moderation.approved,
        )
        .group_by(PlatformPointRevision.point_id, PlatformPointRevision.language)
        .subquery()
    )
    revisions = await session.execute(
        select(PlatformPoint.id, PlatformPoint.topic, PlatformPoint.position, PlatformPointRevision)
        .join(latest, latest.c.point_id == PlatformPoint.id)
        .join(PlatformPointRevision, PlatformPointRevision.id == latest.c.revision_id)
        .order_by(PlatformPoint.position, PlatformPoint.id)
    )
    chosen: dict[tuple[int, int], PointView] = {}
    for point_id, topic, position, revision in revisions:
        slot = (position, point_id)
        view = PointView(topic, revision.text, revision.language)
        # Prefer the reader's language; otherwise keep whichever wording exists.
        if slot not in chosen or revision.language == language:
            chosen[slot] = view
    verified = await session.scalar(
        select(func.count())
        .select_from(CandidateAccount)
        .where(
            and_(
                CandidateAccount.candidacy_id == candidacy_id,
                CandidateAccount.revoked_at.is_(None),
            )
        )
    )
    return Profile(
        summary=summary,
        aliases=tuple(person.aliases or ()),
        points=tuple(chosen[slot] for slot in sorted(chosen)),
        verified=bool(verified),
    )
