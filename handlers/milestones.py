"""Statutory milestones before an election day (Election Law as amended 2020)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.core.i18n import N_
from storage.elections import ElectionView

#: Art. 28: the voter roll is published 20 days before election day.
ROLL_DAYS_BEFORE = 20
#: Art. 29: objections to the roll within 5 days of its publication.
OBJECTION_DAYS = 5
#: Art. 29: a court case about the roll must be brought at least 5 days before election day.
COURT_DAYS_BEFORE = 5
#: Art. 32: nominees' list 15 days before, official list 7 days before.
NOMINEES_DAYS_BEFORE = 15
OFFICIAL_LIST_DAYS_BEFORE = 7


@dataclass(frozen=True, slots=True)
class Milestone:
    label: str  # msgid
    article: str  # msgid
    day: date
    #: True when computed from the law's periods, False when announced with the election.
    derived: bool
    #: The election day itself, whose standing is the election's status.
    election_day: bool = False


@dataclass(frozen=True, slots=True)
class Timeline:
    """An election's dates: announced where the committee announced them, otherwise the
    latest the law allows, counted back from election day."""

    election_day: date
    roll: date
    roll_derived: bool
    #: Art. 29: the last day to object to the roll, 5 days from its publication.
    objection: date
    nominees: date
    nominees_derived: bool
    #: Art. 29: the last day to take a roll complaint to court.
    court: date
    official: date
    official_derived: bool


def timeline(election: ElectionView) -> Timeline | None:
    """The election's dates; None when its day is unknown."""
    day = election.election_day
    if day is None:
        return None

    def pick(announced: date | None, days_before: int) -> tuple[date, bool]:
        return (announced, False) if announced else (day - timedelta(days=days_before), True)

    roll, roll_derived = pick(election.roll_published_on, ROLL_DAYS_BEFORE)
    nominees, nominees_derived = pick(election.nominees_published_on, NOMINEES_DAYS_BEFORE)
    official, official_derived = pick(
        election.official_list_published_on, OFFICIAL_LIST_DAYS_BEFORE
    )
    return Timeline(
        election_day=day,
        roll=roll,
        roll_derived=roll_derived,
        objection=roll + timedelta(days=OBJECTION_DAYS),
        nominees=nominees,
        nominees_derived=nominees_derived,
        court=day - timedelta(days=COURT_DAYS_BEFORE),
        official=official,
        official_derived=official_derived,
    )


def milestones(election: ElectionView) -> list[Milestone]:
    """The milestones in date order; none when the election day is unknown."""
    t = timeline(election)
    if t is None:
        return []
    items = [
        Milestone(N_("Voter roll published"), N_("Art. 28"), t.roll, t.roll_derived),
        Milestone(N_("Last day to object to the voter roll"), N_("Art. 29"), t.objection, True),
        Milestone(N_("Nominees' list published"), N_("Art. 32"), t.nominees, t.nominees_derived),
        Milestone(N_("Last day to take a roll complaint to court"), N_("Art. 29"), t.court, True),
        Milestone(
            N_("Official candidate list published"), N_("Art. 32"), t.official, t.official_derived
        ),
        Milestone(
            N_("Election day; all introduction of candidates stops"),
            N_("Art. 34"),
            t.election_day,
            False,
            election_day=True,
        ),
    ]
    return sorted(items, key=lambda m: m.day)


#: The milestones a moderator records (the election's column), their label, their article
#: and how many days before election day the law has them at the latest.
ANNOUNCED: dict[str, tuple[str, str, int]] = {
    "roll_published_on": (N_("Voter roll published"), N_("Art. 28"), ROLL_DAYS_BEFORE),
    "nominees_published_on": (
        N_("Nominees' list published"), N_("Art. 32"), NOMINEES_DAYS_BEFORE,
    ),
    "official_list_published_on": (
        N_("Official candidate list published"), N_("Art. 32"), OFFICIAL_LIST_DAYS_BEFORE,
    ),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Breach:
    """A recorded timeline the law does not allow: ``what`` (a msgid with ``values``)."""

    article: str  # msgid
    what: str  # msgid
    values: dict[str, date | int | str]


def breaches(day: date, announced: dict[str, date | None]) -> list[Breach]:
    """What in an election's announced milestones comes later than the law allows."""
    found = []
    for column, (name, article, required) in ANNOUNCED.items():
        published = announced.get(column)
        if published is not None and (day - published).days < required:
            found.append(Breach(article, N_(
                "“{milestone}” on {date} is {days} days before election day; "
                "the law asks for at least {required}."
            ), {"milestone": name, "date": published, "days": (day - published).days,
                "required": required}))  # fmt: skip
    roll = announced.get("roll_published_on")
    court = day - timedelta(days=COURT_DAYS_BEFORE)
    if roll is not None and roll + timedelta(days=OBJECTION_DAYS) > court:
        found.append(Breach(N_("Art. 29"), N_(
            "the last day to object to the voter roll, {objection}, falls after the last day "
            "to take a roll complaint to court, {court}."
        ), {"objection": roll + timedelta(days=OBJECTION_DAYS), "court": court}))  # fmt: skip
    return found
