"""Checks across records, run in SQL over the staging tables once the file is read:
repeated keys with conflicting values, duplicate candidacies, dangling references; and,
once it is merged, the warnings about its districts' candidates (Election Law Art. 31)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Candidacy, ElectoralDistrict, Stage

from .records import Problems, plural
from .report import ImportReport
from .staging import Staging

#: Districts named one by one in an import's warnings; the rest are counted.
WARNINGS_SHOWN = 10

#: The stages of a candidate on the official list (正式代表候选人, Art. 32) or past it.
_LISTED = (Stage.official, Stage.elected, Stage.not_elected)

Where = Callable[[str, int], str]


async def run_checks(
    connection: AsyncConnection,
    staging: Staging,
    problems: Problems,
    where: Where,
    *,
    references: bool,
) -> None:
    """Adds every conflict to ``problems``. ``references``: also check that ids point at
    records of the file (Popolo; in CSV they share a line)."""
    await _conflicts(connection, staging.districts, "district", where, problems)
    await _conflicts(connection, staging.persons, "person", where, problems)
    await _duplicates(connection, staging.candidacies, where, problems)
    if references and not problems:
        await _references(connection, staging, where, problems)


async def _conflicts(
    connection: AsyncConnection, table: Table, kind: str, where: Where, problems: Problems
) -> None:
    """Keys given more than once with different values (not counting the values derived
    from the others, such as a name's search keys)."""
    values = [c for c in table.c if c.name != "at" and not c.info.get("derived")]
    variants = select(*values).distinct().subquery()
    conflicting = (
        select(variants.c.key).group_by(variants.c.key).having(func.count() > 1).subquery()
    )
    rows = await connection.execute(
        select(table.c.at, *values)
        .where(table.c.key.in_(select(conflicting.c.key)))
        .order_by(table.c.key, table.c.at)
        .limit(problems.limit * 2)
    )
    first: dict[str, Any] = {}
    for row in rows.mappings():
        known = first.setdefault(row["key"], row)
        if known is not row and _values(known, values) != _values(row, values):
            fields = ", ".join(
                f"{c.name} {row[c.name]!r} vs {known[c.name]!r}"
                for c in values
                if row[c.name] != known[c.name]
            )
            problems.add(
                where(kind, row["at"]),
                f"{kind} {row['key']!r} is given differently on "
                f"{where(kind, known['at'])} ({fields})",
            )


def _values(row: Any, columns: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(row[c.name] for c in columns)


async def _duplicates(
    connection: AsyncConnection, table: Table, where: Where, problems: Problems
) -> None:
    repeated = select(table.c.key).group_by(table.c.key).having(func.count() > 1)
    rows = await connection.execute(
        select(table.c.key, table.c.at)
        .where(table.c.key.in_(repeated))
        .order_by(table.c.key, table.c.at)
        .limit(problems.limit * 2)
    )
    first: dict[str, int] = {}
    for key, at in rows:
        if first.setdefault(key, at) != at:
            problems.add(
                where("candidacy", at),
                f"candidacy key {key!r} is used again (first on {where('candidacy', first[key])})",
            )


async def _references(
    connection: AsyncConnection, staging: Staging, where: Where, problems: Problems
) -> None:
    c, p, d, e = staging.candidacies, staging.persons, staging.districts, staging.elections
    checks = [
        (
            "candidacy",
            select(c.c.at, c.c.person_key).where(c.c.person_key.not_in(select(p.c.key))),
            "person_id names no person of the file: {!r}",
        ),
        (
            "candidacy",
            select(c.c.at, c.c.district_key).where(c.c.district_key.not_in(select(d.c.key))),
            "area_id names no electoral district of the file: {!r}",
        ),
        (
            "district",
            select(d.c.at, d.c.election_key).where(d.c.election_key.not_in(select(e.c.key))),
            "its election names no event of the file: {!r}",
        ),
        (
            "candidacy",
            select(c.c.at, c.c.organization_id)
            .join(d, d.c.key == c.c.district_key)
            .join(e, e.c.key == d.c.election_key)
            .where(c.c.organization_id.is_distinct_from(e.c.organization_id)),
            "organization_id is not the organization of the district's election: {!r}",
        ),
    ]
    for kind, query, message in checks:
        rows = await connection.execute(query.order_by("at").limit(problems.limit))
        for at, value in rows:
            problems.add(where(kind, at), message.format(value))


async def contest_warnings(
    connection: AsyncConnection, staging: Staging, report: ImportReport
) -> None:
    """Warns about every district of the file (as the database now holds it) whose
    candidates break Election Law Art. 31: a direct election has more candidates than
    seats, by one third up to double. Counted are the official list when the district
    has one, else everyone not withdrawn; a district with nobody yet is not warned
    about (nominations may not have opened). Warnings never refuse the import."""
    d, c = ElectoralDistrict.__table__, Candidacy.__table__
    listed = func.sum(case((c.c.stage.in_([s.value for s in _LISTED]), 1), else_=0))
    standing = func.sum(case((c.c.stage != Stage.withdrawn.value, 1), else_=0))
    offending = (
        select(d.c.key, d.c.name, d.c.seats, listed.label("listed"), standing.label("standing"))
        .join(c, c.c.district_id == d.c.id)
        .where(d.c.key.in_(select(staging.districts.c.key)))
        .group_by(d.c.id, d.c.key, d.c.name, d.c.seats)
        .having(
            or_(
                and_(listed > 0, or_(listed <= d.c.seats, listed > 2 * d.c.seats)),
                and_(listed == 0, standing > 0, standing <= d.c.seats),
            )
        )
    ).subquery()
    report.warned = int(await connection.scalar(select(func.count()).select_from(offending)) or 0)
    if not report.warned:
        return
    rows = await connection.execute(
        select(offending).order_by(offending.c.key).limit(WARNINGS_SHOWN)
    )
    for key, name, seats, on_list, anyone in rows:
        count = on_list or anyone
        which = "on the official list" if on_list else "standing"
        report.warnings.append(
            f"district {key!r} ({name}): {plural(count, 'candidate')} for "
            f"{plural(seats, 'seat')} {which}; Election Law Art. 31 asks for more candidates than "
            "seats in a direct election, by one third up to double (imported all the same)"
        )
