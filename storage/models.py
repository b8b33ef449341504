"""The schema. Alembic migrations in ``storage/migrations`` create it; tests compare the two."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import get_history

from storage.types import UTCDateTime, key_string, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _one_of(
    column: str, values: type[StrEnum] | tuple[StrEnum, ...], name: str | None = None
) -> CheckConstraint:
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name or f"{column}_allowed")


# Vocabularies --------------------------------------------------------------


class AreaLevel(StrEnum):
    province = "province"
    prefecture = "prefecture"
    county = "county"
    township = "township"
    village = "village"


class ElectionLevel(StrEnum):
    county = "county"
    township = "township"


class ElectionStatus(StrEnum):
    expected = "expected"
    announced = "announced"
    confirmed = "confirmed"
    postponed = "postponed"
    held = "held"


class Stage(StrEnum):
    nominated = "nominated"
    official = "official"
    elected = "elected"
    not_elected = "not_elected"
    withdrawn = "withdrawn"


class Nomination(StrEnum):
    party = "party"
    organisation = "organisation"
    voters_joint = "voters_joint"


class Topic(StrEnum):
    housing = "housing"
    elderly_care = "elderly_care"
    sanitation = "sanitation"
    labour_rights = "labour_rights"
    parking_parks = "parking_parks"
    energy = "energy"
    transparency = "transparency"
    education = "education"
    transport = "transport"
    environment = "environment"
    other = "other"


class Moderation(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class StaffRole(StrEnum):
    admin = "admin"
    moderator = "moderator"
    #: Enters candidate lists from the election committees' notices; each change waits
    #: for a moderator's approval. Sees no report and moderates nothing.
    volunteer = "volunteer"


class ChangeKind(StrEnum):
    """What a change to the candidate lists, proposed in chat, does."""

    add = "add"
    edit = "edit"


class UpdateKind(StrEnum):
    statement = "statement"
    event = "event"
    link = "link"
    withdrawal = "withdrawal"


class ReportCategory(StrEnum):
    threatening_calls = "threatening_calls"
    employer_pressure = "employer_pressure"
    tax_inspection = "tax_inspection"
    police_blocking = "police_blocking"
    detention = "detention"
    violence = "violence"
    voter_roll = "voter_roll"
    ballot = "ballot"
    kept_off_list = "kept_off_list"
    other = "other"


class ReportWhen(StrEnum):
    today = "today"
    this_week = "this_week"
    this_month = "this_month"
    earlier = "earlier"


class ReportStatus(StrEnum):
    new = "new"
    quarantined = "quarantined"
    in_review = "in_review"
    question = "question"
    published = "published"
    rejected = "rejected"
    closed = "closed"


class KeyKind(StrEnum):
    hanzi = "hanzi"
    pinyin = "pinyin"
    initials = "initials"
    #: A person's given name alone, so that "立新" or "lixin" finds 曾立新 (migration 0007).
    given_hanzi = "given_hanzi"
    given_pinyin = "given_pinyin"


#: The kinds a place's name has: a place has no given name.
AREA_KEY_KINDS = (KeyKind.hanzi, KeyKind.pinyin, KeyKind.initials)


# Places and elections ------------------------------------------------------


class Area(Base):
    """An administrative division, by its GB/T 2260 (or statistics) code."""

    __tablename__ = "areas"
    __table_args__ = (_one_of("level", AreaLevel),)

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"), index=True)


class AreaSearchKey(Base):
    """Normalised spellings of an area's name: characters, pinyin, initials."""

    __tablename__ = "area_search_keys"
    __table_args__ = (
        _one_of("kind", AREA_KEY_KINDS),
        Index("ix_area_search_keys_key", "key"),
        UniqueConstraint("area_code", "kind", "key", name="uq_area_search_keys_entry"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(key_string(96))


class Election(Base):
    __tablename__ = "elections"
    __table_args__ = (_one_of("level", ElectionLevel), _one_of("status", ElectionStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable id for imports and exports.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    level: Mapped[str] = mapped_column(String(16))
    #: None while the date has not been announced.
    election_day: Mapped[date | None] = mapped_column(Date)
    #: Milestones as announced; when None, the bot derives them from the election
    #: day with the statutory periods (Election Law Arts. 28, 29, 32).
    roll_published_on: Mapped[date | None] = mapped_column(Date)
    nominees_published_on: Mapped[date | None] = mapped_column(Date)
    official_list_published_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=ElectionStatus.expected)
    source: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Demo data is labelled as such wherever it is shown.
    demo: Mapped[bool] = mapped_column(Boolean, default=False)

    area: Mapped[Area] = relationship()
    districts: Mapped[list[ElectoralDistrict]] = relationship(back_populates="election")


district_areas = Table(
    "district_areas",
    Base.metadata,
    Column(
        "district_id", ForeignKey("electoral_districts.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("area_code", ForeignKey("areas.code"), primary_key=True, index=True),
)


class ElectoralDistrict(Base):
    """A 选区: elects one to three deputies (Election Law Art. 25)."""

    __tablename__ = "electoral_districts"
    __table_args__ = (CheckConstraint("seats BETWEEN 1 AND 3", name="seats_1_to_3"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    election_id: Mapped[int] = mapped_column(
        ForeignKey("elections.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(128))
    seats: Mapped[int] = mapped_column(Integer)

    election: Mapped[Election] = relationship(back_populates="districts")
    areas: Mapped[list[Area]] = relationship(secondary=district_areas)


# People and candidacies ----------------------------------------------------


class Person(Base):
    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    #: In Simplified characters.
    name: Mapped[str] = mapped_column(String(32))
    #: For display, with tone marks: "Zēng Lìxīn".
    pinyin: Mapped[str] = mapped_column(String(128))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)

    search_keys: Mapped[list[PersonSearchKey]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class PersonSearchKey(Base):
    """Normalised spellings of a name, computed once at write time (storage.search_keys)."""

    __tablename__ = "person_search_keys"
    __table_args__ = (
        _one_of("kind", KeyKind),
        # In the order a search reads them (migration 0002).
        Index("ix_person_search_keys_key", "key", "person_id"),
        UniqueConstraint("person_id", "kind", "key", name="uq_person_search_keys_entry"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(key_string(96))


class Candidacy(Base):
    __tablename__ = "candidacies"
    __table_args__ = (
        _one_of("stage", Stage),
        _one_of("nomination", Nomination),
        # Election Law Art. 30: a joint nomination needs at least ten voters.
        CheckConstraint(
            "nomination <> 'voters_joint' OR nominator_count IS NULL OR nominator_count >= 10",
            name="voters_joint_needs_ten",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    district_id: Mapped[int] = mapped_column(
        ForeignKey("electoral_districts.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[str] = mapped_column(String(16), default=Stage.nominated)
    nomination: Mapped[str] = mapped_column(String(16))
    nominator_count: Mapped[int | None] = mapped_column(Integer)
    #: A trusted candidate's updates are published at once and reviewed afterwards.
    trusted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Where it was checked: a link, ``photo:<sha256>`` for a photo of the election
    #: committee's notice (a ``NoticePhoto``), or an import's own words.
    source: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: The day someone last checked it against that source.
    checked_on: Mapped[date | None] = mapped_column(Date)

    person: Mapped[Person] = relationship()
    district: Mapped[ElectoralDistrict] = relationship()
    points: Mapped[list[PlatformPoint]] = relationship(
        back_populates="candidacy", order_by="PlatformPoint.position"
    )


class PlatformPoint(Base):
    """One plank of a platform; its wording lives in append-only revisions."""

    __tablename__ = "platform_points"
    __table_args__ = (_one_of("topic", Topic),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidacy_id: Mapped[int] = mapped_column(
        ForeignKey("candidacies.id", ondelete="CASCADE"), index=True
    )
    topic: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer, default=0)

    candidacy: Mapped[Candidacy] = relationship(back_populates="points")
    revisions: Mapped[list[PlatformPointRevision]] = relationship(
        back_populates="point", order_by="PlatformPointRevision.id"
    )


class PlatformPointRevision(Base):
    """A dated wording of a platform point in one language. Never rewritten: a
    change is a new revision, and only its moderation status may move."""

    __tablename__ = "platform_point_revisions"
    __table_args__ = (_one_of("status", Moderation),)

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(
        ForeignKey("platform_points.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=Moderation.pending)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: A candidate sent it and no moderator has looked at it yet (a trusted
    #: candidate's wording is approved at once and reviewed afterwards).
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(300))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why moderators rejected it (a key of the reasons' list), told to the candidate;
    #: ``reject_note`` holds a reason the moderator wrote in their own words.
    reject_reason: Mapped[str | None] = mapped_column(String(32))
    reject_note: Mapped[str | None] = mapped_column(Text)

    point: Mapped[PlatformPoint] = relationship(back_populates="revisions")


@event.listens_for(PlatformPointRevision, "before_update")
def _revisions_are_append_only(_mapper: Any, _conn: Any, target: PlatformPointRevision) -> None:
    for column in ("point_id", "language", "text", "created_at"):
        if get_history(target, column).has_changes():
            raise ValueError("platform point revisions are append-only; add a new revision")


class CandidateUpdate(Base):
    """A dated statement, campaign event, public link or withdrawal from a candidate."""

    __tablename__ = "candidate_updates"
    __table_args__ = (_one_of("kind", UpdateKind), _one_of("status", Moderation))

    id: Mapped[int] = mapped_column(primary_key=True)
    candidacy_id: Mapped[int] = mapped_column(
        ForeignKey("candidacies.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(2048))
    #: For campaign events: when and where.
    event_day: Mapped[date | None] = mapped_column(Date)
    place: Mapped[str | None] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16), default=Moderation.pending)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: See PlatformPointRevision.needs_review.
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(300))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: See PlatformPointRevision.reject_reason.
    reject_reason: Mapped[str | None] = mapped_column(String(32))
    reject_note: Mapped[str | None] = mapped_column(Text)


# Incident reports ----------------------------------------------------------
#
# Nothing here identifies the reporter: no platform id, chat id, username,
# message id or time finer than the day. Text and photos are encrypted with a
# key per report, which is sealed to the moderators' public key (storage.crypto).


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (
        _one_of("category", ReportCategory),
        _one_of("happened", ReportWhen),
        _one_of("status", ReportStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(32))
    #: No finer than a township.
    area_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"), index=True)
    #: When it happened, as the reporter put it: never a timestamp.
    happened: Mapped[str] = mapped_column(String(16))
    created_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default=ReportStatus.new, index=True)
    #: The reporter allows moderators to publish an anonymised summary.
    may_publish: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The per-report key, sealed to the moderators' public key.
    sealed_key: Mapped[bytes] = mapped_column(LargeBinary)
    #: Which moderators' key sealed it (a fingerprint), for rotation.
    key_id: Mapped[str] = mapped_column(String(32), index=True)
    #: The description, encrypted with the report key.
    body: Mapped[bytes] = mapped_column(LargeBinary)
    #: A keyed slow hash of the receipt; wiped after long disuse.
    receipt_hash: Mapped[bytes | None] = mapped_column(LargeBinary(64), unique=True)
    receipt_used_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date, index=True)
    #: The public summary a moderator wrote: anonymised, never the reporter's words.
    summary: Mapped[str | None] = mapped_column(Text)
    #: Where the summary says it happened: a county at the finest.
    summary_area_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"))
    #: The Monday of the week it was published: public dates go to the week only.
    published_week: Mapped[date | None] = mapped_column(Date, index=True)
    reject_reason: Mapped[str | None] = mapped_column(String(32))
    escalated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: The moderator working on it, until when: no two act on one item at once.
    claimed_by: Mapped[str | None] = mapped_column(String(300))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    attachments: Mapped[list[ReportAttachment]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ReportAttachment.id"
    )
    messages: Mapped[list[ReportMessage]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ReportMessage.id"
    )


class ReportAttachment(Base):
    """A photo, re-encoded without metadata, then encrypted with the report key."""

    __tablename__ = "report_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    media_type: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ReportMessage(Base):
    """A follow-up: more information from the reporter, or a question or answer from
    the moderators. Encrypted with the report key."""

    __tablename__ = "report_messages"
    __table_args__ = (CheckConstraint("author IN ('reporter', 'moderators')", name="author"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(16))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_on: Mapped[date] = mapped_column(Date)


# Conversations and identities ----------------------------------------------


class Conversation(Base):
    """Where a multi-step flow stands, keyed by a pseudonym of (chat, sender)."""

    __tablename__ = "conversations"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    step: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProcessedEvent(Base):
    """Pseudonyms of handled platform events, so a redelivery sends what was decided
    the first time instead of handling it again."""

    __tablename__ = "processed_events"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: To the day only, for pruning.
    day: Mapped[date] = mapped_column(Date, index=True)
    #: The event's replies until they are sent, sealed under a key made from ids this
    #: database does not hold (``bot.core.kept``); never those of a private flow.
    replies: Mapped[str | None] = mapped_column(Text)


class PlatformCursor(Base):
    """Where an adapter stands in its platform's stream (Telegram's update offset,
    Matrix's sync token), advanced only after the events before it were handled."""

    __tablename__ = "platform_cursors"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserPreference(Base):
    __tablename__ = "user_preferences"

    #: The user's pseudonym (keyed HMAC of platform and user id).
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    language: Mapped[str] = mapped_column(String(8))


class StaffMember(Base):
    """Admins and moderators: raw platform ids, because the bot must reach them."""

    __tablename__ = "staff"
    __table_args__ = (
        _one_of("role", StaffRole),
        UniqueConstraint("platform", "user_id", name="uq_staff_identity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The private chat with the bot where this member last used a staff command: where
    #: the bot tells administrators of an escalation when there is no moderators' room.
    chat_id: Mapped[str | None] = mapped_column(String(255))


class CandidateAccount(Base):
    """A platform account that speaks for a candidacy once it has claimed it."""

    __tablename__ = "candidate_accounts"
    __table_args__ = (
        UniqueConstraint("candidacy_id", "platform", "user_id", name="uq_candidate_accounts_entry"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    candidacy_id: Mapped[int] = mapped_column(
        ForeignKey("candidacies.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(255))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The private chat with the bot where the account last acted for the candidacy:
    #: where moderators' decisions on its updates are told.
    chat_id: Mapped[str | None] = mapped_column(String(255))


class AuditEntry(Base):
    """Every moderator and admin action, and every refused attempt at one.

    Append-only and hash-chained (storage.audit): each row holds the hash of the
    one before, so an edited or deleted row breaks the chain. Never holds a
    reporter's identity or a report's text.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: A staff identity ("telegram:123"), or a pseudonym for a refused citizen.
    actor: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    #: What changed: {"before": ..., "after": ...} and any reason.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


class ReportApproval(Base):
    """One moderator's approval of a report's public summary; publishing needs as many
    different moderators as the deployment requires."""

    __tablename__ = "report_approvals"
    __table_args__ = (UniqueConstraint("report_id", "moderator", name="uq_report_approvals_entry"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    moderator: Mapped[str] = mapped_column(String(300))
    #: The summary as approved: a later edit needs approving again.
    summary_hash: Mapped[str] = mapped_column(String(64))


class PublishedIncident(Base):
    """A report's public face: the approved anonymised summary, a county at the finest,
    the week. Kept when the report itself is purged."""

    __tablename__ = "published_incidents"
    __table_args__ = (_one_of("category", ReportCategory),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(32))
    area_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"), index=True)
    week: Mapped[date] = mapped_column(Date, index=True)
    summary: Mapped[str] = mapped_column(Text)


class ClaimCode(Base):
    """A one-time code with which a candidate's own account claims their profile."""

    __tablename__ = "claim_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidacy_id: Mapped[int] = mapped_column(
        ForeignKey("candidacies.id", ondelete="CASCADE"), index=True
    )
    #: SHA-256 of the code: the code itself is shown once, to the moderator.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_by: Mapped[str] = mapped_column(String(300))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Subscription(Base):
    """A chat that asked to hear when an election's date in an area is announced or
    changes. Holds the raw chat id, because the bot must write to it; the user is told
    so when subscribing, and /alerts removes it."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("platform", "chat_id", "area_code", name="uq_subscriptions_entry"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(255))
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    language: Mapped[str] = mapped_column(String(8))


class SentReminder(Base):
    """A reminder that went out: (election, what, for which day), so that each is sent
    once, whatever the restarts and however many workers. A changed date makes new
    days, and so new reminders."""

    __tablename__ = "sent_reminders"

    election_id: Mapped[int] = mapped_column(
        ForeignKey("elections.id", ondelete="CASCADE"), primary_key=True
    )
    what: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)


class OutboxKind(StrEnum):
    """What a queued message is; the order here is the order of delivery."""

    reply = "reply"
    announcement = "announcement"
    alert = "alert"
    broadcast = "broadcast"


class OutboxMessage(Base):
    """A message to deliver to a chat other than the one being answered (the
    moderators' room, subscribers), kept until the platform's adapter has sent it, or
    marked failed with the reason."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_queue", "platform", "priority", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16), index=True)
    chat_id: Mapped[str] = mapped_column(String(255))
    #: The reply, serialised: text spans and buttons.
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(
        String(16), default=OutboxKind.announcement, server_default="announcement"
    )
    #: Lower first: replies 0, announcements 1, alerts 2, broadcasts 3.
    priority: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Not before this time (a retry's backoff); None: at once.
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why it was given up; None while it waits to be sent.
    failed: Mapped[str | None] = mapped_column(String(255))


class NoticePhoto(Base):
    """A photo of an election committee's notice (公告), re-encoded without metadata like a
    report's photos: the public source of the candidacies entered from it. Named by the
    SHA-256 of its bytes, which is how candidacies, exports and open data refer to it."""

    __tablename__ = "notice_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    media_type: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ListChange(Base):
    """An election, a district or a candidacy added or corrected in chat, with its source,
    waiting until moderators other than its proposer approve it (storage.list_changes)."""

    __tablename__ = "list_changes"
    __table_args__ = (_one_of("kind", ChangeKind), _one_of("status", Moderation))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    #: The staff member who proposed it, as the audit log names them ("telegram:123").
    proposer: Mapped[str] = mapped_column(String(300))
    #: What to do, as ``storage.list_changes`` reads it.
    change: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: A link, or ``photo:<sha256>`` of a NoticePhoto.
    source: Mapped[str] = mapped_column(Text)
    #: The day the proposer checked it against the source.
    checked_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=Moderation.pending, index=True)
    #: The moderators who approved it, as the audit log names them.
    approvals: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The candidacy it corrects, or the one it added once applied.
    candidacy_id: Mapped[int | None] = mapped_column(
        ForeignKey("candidacies.id", ondelete="SET NULL")
    )
