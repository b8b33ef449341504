"""The records both formats are read into and written from: one per election, district,
person and candidacy, each carrying its place in the file for error messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class PointRecord:
    """One platform point; an empty wording means "none given in this language"."""

    topic: str
    zh: str = ""
    en: str = ""


@dataclass(frozen=True, slots=True)
class ElectionRecord:
    key: str
    area_code: str
    level: str
    election_day: date | None
    status: str
    source: str
    #: None: keep what is stored (a new election gets the import time).
    updated_at: datetime | None
    roll_published_on: date | None
    nominees_published_on: date | None
    official_list_published_on: date | None
    demo: bool
    #: Popolo only: the organisation (the congress) the event names.
    organization_id: str | None = None


@dataclass(frozen=True, slots=True)
class DistrictRecord:
    key: str
    election_key: str
    number: int | None
    name: str
    seats: int
    #: Area codes, sorted.
    area_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PersonRecord:
    key: str
    #: In Simplified characters.
    name: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CandidacyRecord:
    key: str
    person_key: str
    district_key: str
    stage: str
    nomination: str
    nominator_count: int | None
    #: None: no platform given (what is stored stays as it is).
    platform: tuple[PointRecord, ...] | None
    #: Popolo only: the organisation the membership names, checked against the election's.
    organization_id: str | None = None
    #: Where it was checked (a link, ``photo:<sha256>``, words); empty keeps what is stored.
    source: str = ""
    #: The day it was checked against the source; None keeps what is stored.
    checked_on: date | None = None


class Sink(Protocol):
    """Where a reader puts the valid records of a file, in file order. ``at`` is where a
    record came from: a line number (CSV) or an index in a JSON array (Popolo)."""

    def election(self, at: int, record: ElectionRecord) -> None: ...

    def district(self, at: int, record: DistrictRecord) -> None: ...

    def person(self, at: int, record: PersonRecord) -> None: ...

    def candidacy(self, at: int, record: CandidacyRecord) -> None: ...


@dataclass
class Problems:
    """Every error found, in the order found; only the first ``limit`` are kept verbatim."""

    limit: int = 10_000
    messages: list[str] = field(default_factory=list)
    count: int = 0

    def add(self, where: str, message: str) -> None:
        self.count += 1
        if len(self.messages) < self.limit:
            self.messages.append(f"{where}: {message}")

    def __bool__(self) -> bool:
        return self.count > 0

    def lines(self) -> list[str]:
        """The messages, and a last line saying how many were not kept."""
        rest = self.count - len(self.messages)
        return [*self.messages, *([f"... and {plural(rest, 'more error')}"] if rest else [])]


def plural(count: int, noun: str) -> str:
    """ "1 error", "2 errors" (English nouns that take an s)."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
