"""Read models for candidacies: search results and profiles."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from enum import IntEnum
from itertools import zip_longest

from sqlalchemy import ColumnElement, Integer, Row, Select, and_, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Area,
    Candidacy,
    CandidateAccount,
    CandidateUpdate,
    Election,
    ElectoralDistrict,
    KeyKind,
    Moderation,
    NoticePhoto,
    Person,
    PersonSearchKey,
    PlatformPoint,
    PlatformPointRevision,
    UpdateKind,
)
from storage.notices import photo_sha
from storage.search_keys import (
    QueryKey,
    bounded,
    given_key,
    hanzi_as_pinyin,
    query_key,
    respellings,
    typo_variants,
)
from storage.types import starts_with


@dataclass(frozen=True, slots=True)
class CandidacySummary:
    id: int
    person_id: int
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
    #: When the wording shown replaced an earlier approved one; None for a first wording.
    revised_on: date | None = None


@dataclass(frozen=True, slots=True)
class UpdateView:
    kind: str
    text: str
    language: str
    url: str | None
    event_day: date | None
    place: str | None
    published_on: date | None


@dataclass(frozen=True, slots=True)
class Profile:
    summary: CandidacySummary
    aliases: tuple[str, ...]
    points: tuple[PointView, ...]
    verified: bool
    #: Latest approved statements and events, newest first.
    updates: tuple[UpdateView, ...] = ()
    #: Approved public links (campaign pages, videos).
    links: tuple[UpdateView, ...] = ()
    #: Where the candidacy was checked (a link, ``photo:<sha256>``, an import's words),
    #: whether that photo is kept here, and the day it was checked.
    source: str = ""
    photo_kept: bool = False
    checked_on: date | None = None


#: How many updates a profile shows.
PROFILE_UPDATES = 3
#: Persons one search reads at most, however deep the page asked for (50 pages of 8).
MAX_MATCHES = 400


@dataclass(frozen=True, slots=True)
class SearchPage:
    items: tuple[CandidacySummary, ...]
    has_more: bool
    #: Nothing matched as typed; these are near spellings ("did you mean").
    fuzzy: bool = False


SummaryRow = Row[Candidacy, Person, ElectoralDistrict, Election, Area]


def _summary_query() -> Select[Candidacy, Person, ElectoralDistrict, Election, Area]:
    return (
        select(Candidacy, Person, ElectoralDistrict, Election, Area)
        .join(Person, Candidacy.person_id == Person.id)
        .join(ElectoralDistrict, Candidacy.district_id == ElectoralDistrict.id)
        .join(Election, ElectoralDistrict.election_id == Election.id)
        .join(Area, Election.area_code == Area.code)
    )


# Built once: a profile or a page of results runs these on every view, and building
# them cost about as much as running them.
_CANDIDACY = bindparam("candidacy_id", type_=Integer())
_SUMMARY = _summary_query().where(Candidacy.id == _CANDIDACY)
_SUMMARIES_OF_PERSONS = (
    _summary_query()
    .where(Candidacy.person_id.in_(bindparam("persons", expanding=True)))
    .order_by(Candidacy.id)
)
_CANDIDACIES = bindparam("candidacies", type_=Integer(), expanding=True)
_LATEST = (
    select(
        PlatformPointRevision.point_id,
        PlatformPointRevision.language,
        func.max(PlatformPointRevision.id).label("revision_id"),
        func.count().label("versions"),
    )
    .join(PlatformPoint, PlatformPoint.id == PlatformPointRevision.point_id)
    .where(
        PlatformPoint.candidacy_id.in_(_CANDIDACIES),
        PlatformPointRevision.status == Moderation.approved,
    )
    .group_by(PlatformPointRevision.point_id, PlatformPointRevision.language)
    .subquery()
)
#: The latest approved wording of each point in each language, with its version count.
_POINTS = (
    select(
        PlatformPoint.candidacy_id,
        PlatformPoint.id,
        PlatformPoint.topic,
        PlatformPoint.position,
        _LATEST.c.versions,
        PlatformPointRevision,
    )
    .join(_LATEST, _LATEST.c.point_id == PlatformPoint.id)
    .join(PlatformPointRevision, PlatformPointRevision.id == _LATEST.c.revision_id)
    .order_by(PlatformPoint.position, PlatformPoint.id)
)
_VERIFIED = (
    select(func.count())
    .select_from(CandidateAccount)
    .where(CandidateAccount.candidacy_id == _CANDIDACY, CandidateAccount.revoked_at.is_(None))
)
_PUBLISHED = (
    select(CandidateUpdate)
    .where(
        CandidateUpdate.candidacy_id == _CANDIDACY,
        CandidateUpdate.status == Moderation.approved,
    )
    .order_by(CandidateUpdate.published_at.desc(), CandidateUpdate.id.desc())
    .limit(50)
)


def _summary(row: SummaryRow) -> CandidacySummary:
    candidacy, person, district, election, area = row
    return CandidacySummary(
        id=candidacy.id,
        person_id=person.id,
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


class Match(IntEnum):
    """How a result matched, best first."""

    exact = 0
    prefix = 1
    #: The query is the person's given name ("立新", "lixin" for 曾立新).
    given = 2
    fuzzy = 3


async def _ordered_persons(
    session: AsyncSession,
    condition: ColumnElement[bool],
    *,
    order: bool,
    limit: int,
    in_index_order: bool = False,
) -> list[int]:
    query = select(PersonSearchKey.person_id).where(condition)
    if order:
        query = query.order_by(PersonSearchKey.key, PersonSearchKey.person_id)
    # A person has a handful of keys, so fetch a few rows per wanted person.
    query = query.limit(limit * 4)
    if in_index_order:
        async with _in_index_order(session):
            rows = list(await session.scalars(query))
    else:
        rows = list(await session.scalars(query))
    return list(dict.fromkeys(rows))


_BITMAP_OFF = text(
    "SELECT current_setting('enable_bitmapscan'), set_config('enable_bitmapscan', 'off', true)"
)
_BITMAP_BACK = text("SELECT set_config('enable_bitmapscan', :before, true)")


@asynccontextmanager
async def _in_index_order(session: AsyncSession) -> AsyncIterator[None]:
    """Key ranges read in index order, stopping at the limit, however many keys a range
    holds. At national scale, in two of three runs, 1-2 % of the searches for a common
    surname took about 650 ms on PostgreSQL: the cost of reading and sorting the whole
    range, as a bitmap scan does. The planner's choice rests on its estimate of how many
    keys a range of one or two characters holds, which comes from ANALYZE's random sample
    and is coarse. Without bitmap scans, for these statements, the ordered index scan is
    the only cheap plan left (docs/BENCHMARKS.md). SQLite reads ranges in order anyway."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    before = (await session.execute(_BITMAP_OFF)).scalar_one()
    yield
    # (Were a statement to fail, the transaction's rollback would restore the setting.)
    await session.execute(_BITMAP_BACK, {"before": before})


async def matching_persons(session: AsyncSession, query: str, want: int) -> list[tuple[int, Match]]:
    """Up to ``want`` person ids for ``query``: exact, then prefix, then a given name alone,
    then one typo away.

    Each tier is an index look-up that stops at ``want``; nothing scans a table,
    however common the name ("王", "wang").
    """
    wanted = query_key(query)
    if wanted is None:
        return []
    keys = PersonSearchKey
    kinds = keys.kind.in_([kind.value for kind in wanted.kinds])
    found: dict[int, Match] = {}

    def add(ids: list[int], match: Match) -> None:
        for person_id in ids:
            found.setdefault(person_id, match)

    add(
        await _ordered_persons(
            session, and_(keys.key == wanted.key, kinds), order=False, limit=want
        ),
        Match.exact,
    )
    if len(found) < want:
        prefix = and_(starts_with(keys.key, wanted.key, past_prefix=True), kinds)
        add(
            await _ordered_persons(session, prefix, order=True, limit=want, in_index_order=True),
            Match.prefix,
        )
    if len(found) < want:
        given = and_(keys.key == given_key(wanted.key), keys.kind == wanted.given)
        add(await _ordered_persons(session, given, order=True, limit=want), Match.given)
    if not found:
        add(await _near_persons(session, wanted, want), Match.fuzzy)
    return list(found.items())[:want]


async def _named(session: AsyncSession, sound: str, want: int) -> list[int]:
    """Persons whose whole name, then whose given name alone, reads ``sound``."""
    keys = PersonSearchKey
    whole = and_(keys.key == sound, keys.kind == KeyKind.pinyin)
    given = and_(keys.key == given_key(sound), keys.kind == KeyKind.given_pinyin)
    found = await _ordered_persons(session, whole, order=True, limit=want)
    found += await _ordered_persons(session, given, order=True, limit=want)
    return list(dict.fromkeys(found))


async def _near_persons(session: AsyncSession, wanted: QueryKey, want: int) -> list[int]:
    """Persons whose name is one typo from the query, or sounds as the characters typed."""
    keys = PersonSearchKey
    if KeyKind.hanzi in wanted.kinds:
        # No such characters: try names that sound the same (王静 for 王婧; 立鑫 for 立新).
        sound = hanzi_as_pinyin(wanted.key)
        return await _named(session, sound, want) if sound else []
    variants = typo_variants(wanted.key)
    if variants:
        typo = and_(keys.key.in_(bounded(variants)), keys.kind == KeyKind.pinyin)
        near = await _ordered_persons(session, typo, order=True, limit=want)
        if near:
            return near
    # A mistyped surname or given name alone ("zneg", "lxiin"): the names that begin
    # with a spelling one typo away that reads as pinyin ("zeng"), and the given names
    # that are one ("lixin"); a few such spellings, a range read and a look-up each.
    lists = []
    spellings = respellings(wanted.key)
    async with _in_index_order(session):
        for spelling in spellings:
            begins = and_(starts_with(keys.key, spelling), keys.kind == KeyKind.pinyin)
            lists.append(await _ordered_persons(session, begins, order=True, limit=want))
    for spelling, found in zip(spellings, lists, strict=True):
        given = and_(keys.key == given_key(spelling), keys.kind == KeyKind.given_pinyin)
        found += await _ordered_persons(session, given, order=True, limit=want)
    # In turns, so that each spelling shows its first names on the first page.
    return list(dict.fromkeys(p for turn in zip_longest(*lists) for p in turn if p is not None))


async def search_candidacies(
    session: AsyncSession, query: str, *, limit: int = 8, offset: int = 0
) -> SearchPage:
    """Candidacies of the persons matching ``query``, a page of persons at a time."""
    # A page button carries its offset, and a client can send any: cap what is read.
    persons = await matching_persons(session, query, min(offset + limit + 1, MAX_MATCHES))
    page = persons[offset : offset + limit]
    if not page:
        return SearchPage((), False)
    order = {person_id: i for i, (person_id, _) in enumerate(page)}
    rows = await session.execute(_SUMMARIES_OF_PERSONS, {"persons": list(order)})
    items = sorted((_summary(row) for row in rows), key=lambda s: order[s.person_id])
    return SearchPage(
        tuple(items),
        has_more=len(persons) > offset + limit,
        fuzzy=all(match is Match.fuzzy for _, match in page),
    )


async def candidacy_summary(session: AsyncSession, candidacy_id: int) -> CandidacySummary | None:
    row = (await session.execute(_SUMMARY, {"candidacy_id": candidacy_id})).first()
    return _summary(row) if row else None


async def candidacy_profile(
    session: AsyncSession, candidacy_id: int, language: str
) -> Profile | None:
    """The public profile: only approved platform wording, in ``language`` where there is one."""
    wanted = {"candidacy_id": candidacy_id}
    row = (await session.execute(_SUMMARY, wanted)).first()
    if row is None:
        return None
    summary = _summary(row)
    candidacy, person, election = row[0], row[1], row[3]
    # Without a source of its own, a candidacy was checked where and when its election was.
    source, checked = candidacy.source, candidacy.checked_on
    if not source:
        source, checked = election.source, checked or election.updated_at.date()
    points = (await platforms(session, [candidacy_id], language))[candidacy_id]
    verified = await session.scalar(_VERIFIED, wanted)
    published = await session.scalars(_PUBLISHED, wanted)
    updates = [_update_view(u) for u in published]
    return Profile(
        summary=summary,
        aliases=tuple(person.aliases or ()),
        points=points,
        verified=bool(verified),
        updates=tuple(u for u in updates if u.kind != UpdateKind.link)[:PROFILE_UPDATES],
        links=tuple(u for u in updates if u.kind == UpdateKind.link),
        source=source,
        photo_kept=await _photo_kept(session, source),
        checked_on=checked,
    )


async def _photo_kept(session: AsyncSession, source: str) -> bool:
    sha = photo_sha(source)
    if sha is None:
        return False
    found = await session.scalar(select(NoticePhoto.id).where(NoticePhoto.sha256 == sha))
    return found is not None


async def platforms(
    session: AsyncSession, candidacy_ids: list[int], language: str
) -> dict[int, tuple[PointView, ...]]:
    """Each candidacy's approved platform points in their order, each in ``language``
    where it has that wording; a candidacy without any has an empty tuple."""
    chosen: dict[int, dict[tuple[int, int], PointView]] = {i: {} for i in candidacy_ids}
    rows = await session.execute(_POINTS, {"candidacies": candidacy_ids})
    for candidacy_id, point_id, topic, position, versions, revision in rows:
        slot = (position, point_id)
        revised = revision.created_at.date() if versions > 1 else None
        view = PointView(topic, revision.text, revision.language, revised)
        # Prefer the reader's language; otherwise keep whichever wording exists.
        points = chosen[candidacy_id]
        if slot not in points or revision.language == language:
            points[slot] = view
    return {i: tuple(points[slot] for slot in sorted(points)) for i, points in chosen.items()}


def _update_view(update: CandidateUpdate) -> UpdateView:
    return UpdateView(
        kind=update.kind,
        text=update.text,
        language=update.language,
        url=update.url,
        event_day=update.event_day,
        place=update.place,
        published_on=update.published_at.date() if update.published_at else None,
    )
