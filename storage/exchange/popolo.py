"""The Popolo format (persons, organizations, areas, events, memberships), as described
in docs/IMPORT_FORMAT.md: ids carry a prefix per kind, our fields sit under "extras"."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TextIO, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import ElectionLevel, ElectionStatus, Nomination, Stage

from . import exporter
from . import fields as f
from .csv_format import day, moment, points_json
from .jsonstream import JsonSyntaxError, members
from .records import (
    CandidacyRecord,
    DistrictRecord,
    ElectionRecord,
    PersonRecord,
    Problems,
    Sink,
)

PERSON, CONGRESS, AREA, DISTRICT, ELECTION, CANDIDACY = (
    "person:", "congress:", "area:", "district:", "election:", "candidacy:",
)  # fmt: skip
COLLECTIONS = {
    "election": "events",
    "district": "areas",
    "person": "persons",
    "candidacy": "memberships",
    "organization": "organizations",
}
DISTRICT_CLASSIFICATION = "electoral_district"
T = TypeVar("T")


def where(kind: str, at: int) -> str:
    return f"$.{COLLECTIONS[kind]}[{at}]"


def _id(value: Any, field: str, prefix: str) -> str:
    text = f.key(value, field) if not isinstance(value, str) else value.strip()
    if not text.startswith(prefix) or len(text) == len(prefix):
        raise f.FieldError(f"{field} must look like '{prefix}<key>', got {f.shown(value)}")
    return f.key(text[len(prefix) :], field)


def _object(value: Any, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise f.FieldError(f"{field} must be an object, got {f.shown(value)}")
    return value


def _list(value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise f.FieldError(f"{field} must be a list, got {f.shown(value)}")
    return value


def _scalar(value: Any) -> Any:
    """Numbers as text, so that the shared checks see what CSV would give them."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


class PopoloReader:
    """Turns the members of a Popolo document into records. Events are held back until
    the end, because their area and level come from an organization that may follow."""

    def __init__(self, areas: Mapping[str, str], problems: Problems) -> None:
        self.areas = areas
        self.problems = problems
        self.organizations: dict[str, tuple[int, str | None]] = {}
        self.events: list[tuple[int, dict[str, Any]]] = []

    def _report(self, kind: str, at: int, errors: list[str]) -> None:
        for message in errors:
            self.problems.add(where(kind, at), message)

    def person(self, at: int, item: dict[str, Any]) -> PersonRecord | None:
        e = f.Errors()
        other = e.take(_list, item.get("other_names"), "other_names") or []
        names = [o.get("name") if isinstance(o, dict) else o for o in other]
        record = PersonRecord(
            key=e.take(_id, item.get("id"), "id", PERSON),
            name=e.take(f.person_name, item.get("name"), "name"),
            aliases=e.take(f.aliases, names, "other_names[].name"),
        )
        return self._done("person", at, e, record)

    def organization(self, at: int, item: dict[str, Any]) -> None:
        e = f.Errors()
        key = e.take(f.required, item.get("id"), "id", f.KEY_LENGTH)
        area = e.take(_id, item.get("area_id"), "area_id", AREA)
        if area and area not in self.areas:
            e.append(f"area_id: unknown area code {area!r}")
        if e:
            self._report("organization", at, e)
        elif key in self.organizations:
            self.problems.add(where("organization", at), f"organization id {key!r} is repeated")
        else:
            self.organizations[key] = (at, area)

    def area(self, at: int, item: dict[str, Any]) -> DistrictRecord | None:
        if item.get("classification") != DISTRICT_CLASSIFICATION:
            e = f.Errors()
            code = e.take(_id, item.get("id"), "id", AREA)
            if code and code not in self.areas:
                e.append(f"id: unknown area code {code!r}")
            self._report("district", at, e)
            return None
        e = f.Errors()
        extras = e.take(_object, item.get("extras"), "extras")
        codes = [
            e.take(_id, value, "extras.area_ids[]", AREA)
            for value in e.take(_list, extras.get("area_ids"), "extras.area_ids") or []
        ]
        record = DistrictRecord(
            key=e.take(_id, item.get("id"), "id", DISTRICT),
            election_key=e.take(_id, extras.get("election_id"), "extras.election_id", ELECTION),
            number=e.take(f.positive, _scalar(extras.get("number")), "extras.number"),
            name=e.take(f.required, item.get("name"), "name", f.DISTRICT_NAME_LENGTH),
            seats=e.take(f.seats, _scalar(extras.get("seats")), "extras.seats"),
            area_codes=e.take(f.area_codes, codes, "extras.area_ids", self.areas) if not e else (),
        )
        return self._done("district", at, e, record)

    def event(self, at: int, item: dict[str, Any]) -> None:
        if item.get("classification") != "election":
            got = f.shown(item.get("classification"))
            message = f"classification must be 'election', got {got}"
            self.problems.add(where("election", at), message)
            return
        self.events.append((at, item))

    def election(self, at: int, item: dict[str, Any]) -> ElectionRecord | None:
        e = f.Errors()
        extras = e.take(_object, item.get("extras"), "extras")
        organization = e.take(f.required, item.get("organization_id"), "organization_id", 64)
        area = None
        if organization:
            found = self.organizations.get(organization)
            if found is None:
                e.append(f"organization_id names no organization of the file: {organization!r}")
            else:
                area = found[1]
        level = self.areas.get(area or "")
        if area and level not in ElectionLevel.__members__:
            e.append(f"the organization's area {area} is a {level}; elections are for counties "
                     "and townships")  # fmt: skip
        record = ElectionRecord(
            key=e.take(_id, item.get("id"), "id", ELECTION),
            area_code=area or "",
            level=level or "",
            election_day=e.take(f.iso_date, item.get("start_date"), "start_date"),
            status=e.take(f.choice, extras.get("status"), "extras.status", ElectionStatus),
            source=e.take(f.optional, extras.get("source"), "extras.source"),
            updated_at=e.take(f.timestamp, item.get("updated_at"), "updated_at"),
            roll_published_on=e.take(
                f.iso_date, extras.get("roll_published_on"), "extras.roll_published_on"
            ),
            nominees_published_on=e.take(
                f.iso_date, extras.get("nominees_published_on"), "extras.nominees_published_on"
            ),
            official_list_published_on=e.take(
                f.iso_date,
                extras.get("official_list_published_on"),
                "extras.official_list_published_on",
            ),
            demo=e.take(f.flag, extras.get("demo"), "extras.demo"),
            organization_id=organization,
        )
        return self._done("election", at, e, record)

    def membership(self, at: int, item: dict[str, Any]) -> CandidacyRecord | None:
        e = f.Errors()
        if item.get("role") != "candidate":
            e.append(f"role must be 'candidate', got {f.shown(item.get('role'))}")
        extras = e.take(_object, item.get("extras"), "extras")
        nomination = e.take(f.choice, extras.get("nomination"), "extras.nomination", Nomination)
        platform = extras.get("platform")
        count = _scalar(extras.get("nominator_count"))
        record = CandidacyRecord(
            key=e.take(_id, item.get("id"), "id", CANDIDACY),
            person_key=e.take(_id, item.get("person_id"), "person_id", PERSON),
            district_key=e.take(_id, item.get("area_id"), "area_id", DISTRICT),
            stage=e.take(f.choice, extras.get("stage"), "extras.stage", Stage),
            nomination=nomination,
            nominator_count=e.take(f.nominators, count, "extras.nominator_count", nomination),
            platform=None
            if platform is None
            else e.take(f.platform, platform, "extras.platform") or None,
            organization_id=e.take(f.required, item.get("organization_id"), "organization_id", 64),
            source=e.take(f.optional, extras.get("source"), "extras.source"),
            checked_on=e.take(f.iso_date, extras.get("checked_on"), "extras.checked_on"),
        )
        return self._done("candidacy", at, e, record)

    def _done(self, kind: str, at: int, e: f.Errors, record: T) -> T | None:
        self._report(kind, at, e)
        return None if e else record


def read_popolo(text: TextIO, areas: Mapping[str, str], problems: Problems, sink: Sink) -> None:
    """Puts the valid records of a Popolo document into ``sink``; errors go to ``problems``."""
    reader = PopoloReader(areas, problems)

    def ignore(_at: int, _record: None) -> None:
        pass

    readers: dict[str, tuple[Callable[[int, dict[str, Any]], Any], Callable[[int, Any], None]]] = {
        "persons": (reader.person, sink.person),
        "organizations": (reader.organization, ignore),
        "areas": (reader.area, sink.district),
        "events": (reader.event, ignore),
        "memberships": (reader.membership, sink.candidacy),
    }
    try:
        for name, value in members(text):
            if name not in readers:
                problems.add(f"$.{name}", "unknown member (expected persons, organizations, "
                             "areas, events and memberships)")  # fmt: skip
                continue
            if not isinstance(value, Iterator):
                problems.add(f"$.{name}", "must be a list")
                continue
            read, put = readers[name]
            for at, item in enumerate(value):
                if not isinstance(item, dict):
                    problems.add(f"$.{name}[{at}]", f"must be an object, got {f.shown(item)}")
                    continue
                record = read(at, item)
                if record is not None:
                    put(at, record)
    except JsonSyntaxError as error:
        problems.add("$", str(error))
        return
    for at, item in reader.events:
        election = reader.election(at, item)
        if election is not None:
            sink.election(at, election)


# Writing -------------------------------------------------------------------


def _compact(item: dict[str, Any]) -> dict[str, Any]:
    """Without empty values, so that absent and empty read back alike."""
    return {k: v for k, v in item.items() if v is not None and v is not False and v != ""
            and v != [] and v != {}}  # fmt: skip


class _Array:
    """Writes ``"name": [`` items one per line ``]``."""

    def __init__(self, out: TextIO, name: str, first: bool) -> None:
        self.out = out
        self.count = 0
        out.write(("" if first else ",\n") + f'  "{name}": [')

    def add(self, item: dict[str, Any]) -> None:
        self.out.write(("\n" if self.count == 0 else ",\n") + "    ")
        self.out.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
        self.count += 1

    def close(self) -> None:
        self.out.write("\n  ]" if self.count else "]")


async def write_popolo(connection: AsyncConnection, out: TextIO) -> int:
    """Writes the whole database as one Popolo document; returns the number of memberships."""
    out.write("{\n")
    elections = await exporter.elections(connection)
    names = await exporter.area_names(connection, sorted({e.area_code for e in elections}))

    events = _Array(out, "events", first=True)
    for e in elections:
        events.add(
            _compact(
                {
                    "id": ELECTION + e.key,
                    "classification": "election",
                    "name": f"{names[e.area_code]}人民代表大会代表选举",
                    "start_date": day(e.election_day),
                    "organization_id": CONGRESS + e.area_code,
                    "updated_at": moment(e.updated_at),
                    "extras": _compact(
                        {
                            "status": e.status,
                            "source": e.source,
                            "roll_published_on": day(e.roll_published_on),
                            "nominees_published_on": day(e.nominees_published_on),
                            "official_list_published_on": day(e.official_list_published_on),
                            "demo": e.demo,
                        }
                    ),
                }
            )
        )
    events.close()

    organizations = _Array(out, "organizations", first=False)
    for code in sorted(names):
        organizations.add(
            {
                "id": CONGRESS + code,
                "classification": "legislature",
                "name": f"{names[code]}人民代表大会",
                "area_id": AREA + code,
            }
        )
    organizations.close()

    areas = _Array(out, "areas", first=False)
    for code, name, level, parent in await exporter.areas(connection):
        areas.add(
            _compact(
                {"id": AREA + code, "classification": level, "name": name,
                 "parent_id": AREA + parent if parent else None}
            )
        )  # fmt: skip
    area_of = {e.key: e.area_code for e in elections}
    async for d in exporter.districts(connection):
        areas.add(
            {
                "id": DISTRICT + d.key,
                "classification": DISTRICT_CLASSIFICATION,
                "name": d.name,
                "parent_id": AREA + area_of[d.election_key],
                "extras": _compact(
                    {
                        "election_id": ELECTION + d.election_key,
                        "number": d.number,
                        "seats": d.seats,
                        "area_ids": [AREA + code for code in d.area_codes],
                    }
                ),
            }
        )
    areas.close()

    persons = _Array(out, "persons", first=False)
    async for p in exporter.persons(connection):
        persons.add(
            _compact(
                {"id": PERSON + p.key, "name": p.name,
                 "other_names": [{"name": alias} for alias in p.aliases]}
            )
        )  # fmt: skip
    persons.close()

    memberships = _Array(out, "memberships", first=False)
    async for c, area in exporter.candidacies(connection):
        memberships.add(
            {
                "id": CANDIDACY + c.key,
                "role": "candidate",
                "person_id": PERSON + c.person_key,
                "organization_id": CONGRESS + area,
                "area_id": DISTRICT + c.district_key,
                "extras": _compact(
                    {
                        "stage": c.stage,
                        "nomination": c.nomination,
                        "nominator_count": c.nominator_count,
                        "source": c.source,
                        "checked_on": c.checked_on.isoformat() if c.checked_on else None,
                        "platform": points_json(c.platform) if c.platform else None,
                    }
                ),
            }
        )
    memberships.close()
    out.write("\n}\n")
    return memberships.count
