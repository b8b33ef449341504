"""Moves validated staging rows into the real tables: upserts by stable key, set-based
where SQL can do it; names go through Python for their search keys."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import Text

from storage.models import (
    Candidacy,
    Election,
    ElectoralDistrict,
    Moderation,
    Person,
    PersonSearchKey,
    PlatformPoint,
    PlatformPointRevision,
    district_areas,
)
from storage.types import UTCDateTime

from .bulk import BulkInsert
from .ids import Ids
from .person_keys import Keyed, KeyMaker
from .records import ElectionRecord
from .report import ImportReport
from .staging import BATCH, Staging

APPROVED = Moderation.approved.value
Progress = Callable[[str, int, int | None], None]

ELECTIONS, DISTRICTS, PERSONS, KEYS, CANDIDACIES, POINTS, REVISIONS = (
    cast(Table, model.__table__)
    for model in (
        Election, ElectoralDistrict, Person, PersonSearchKey, Candidacy, PlatformPoint,
        PlatformPointRevision,
    )
)  # fmt: skip
#: Election columns an import sets, besides ``updated_at``.
_ELECTION_FIELDS = (
    "area_code", "level", "election_day", "status", "source", "roll_published_on",
    "nominees_published_on", "official_list_published_on", "demo",
)  # fmt: skip


class Merger:
    def __init__(
        self,
        connection: AsyncConnection,
        staging: Staging,
        now: datetime,
        progress: Progress,
    ) -> None:
        self.connection = connection
        self.x = staging
        self.now = now
        self.progress = progress
        self.report = ImportReport()

    async def run(self, elections: dict[str, tuple[ElectionRecord, int]]) -> ImportReport:
        await self._elections([record for record, _ in elections.values()])
        self.progress("writing districts", 0, None)
        await self._districts()
        await self._persons()
        self.progress("writing candidacies", 0, None)
        await self._candidacies()
        self.progress("writing platforms", 0, None)
        await self._points()
        return self.report

    # helpers ---------------------------------------------------------------

    def _insert(self, table: Table) -> Any:
        module = postgresql if self.connection.dialect.name == "postgresql" else sqlite
        return module.insert(table)

    async def _empty(self, table: Table) -> bool:
        return await self.connection.scalar(select(table.c[0]).limit(1)) is None

    async def _count(self, query: Select[Any]) -> int:
        return int(await self.connection.scalar(query) or 0)

    async def _upsert(
        self, table: Table, source: Select[Any], columns: list[str], fresh: bool
    ) -> tuple[int, int]:
        """INSERT ... SELECT, updating rows whose values differ; (added, updated)."""
        if fresh:
            result = await self.connection.execute(insert(table).from_select(columns, source))
            return result.rowcount, 0
        statement = self._insert(table).from_select(columns, source.where(true()))
        changed = [c for c in columns if c != "key"]
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={c: statement.excluded[c] for c in changed},
            where=or_(*(table.c[c].is_distinct_from(statement.excluded[c]) for c in changed)),
        )
        before = await self._count(select(func.count()).select_from(table))
        result = await self.connection.execute(statement)
        after = await self._count(select(func.count()).select_from(table))
        return after - before, result.rowcount - (after - before)

    # steps -----------------------------------------------------------------

    async def _elections(self, records: list[ElectionRecord]) -> None:
        stored = {
            row.key: row
            for row in await self.connection.execute(
                select(ELECTIONS.c.key, ELECTIONS.c.updated_at,
                       *(ELECTIONS.c[name] for name in _ELECTION_FIELDS))
            )
        }  # fmt: skip
        fresh, changed = [], []
        for record in records:
            values: dict[str, Any] = {name: getattr(record, name) for name in _ELECTION_FIELDS}
            if record.updated_at is not None:
                values["updated_at"] = record.updated_at
            row = stored.get(record.key)
            if row is None:
                fresh.append({"key": record.key, "updated_at": self.now, **values})
            elif any(getattr(row, name) != value for name, value in values.items()):
                changed.append({"b_key": record.key, **{f"v_{k}": v for k, v in values.items()}})
        for start in range(0, len(fresh), BATCH):
            await self.connection.execute(insert(ELECTIONS), fresh[start : start + BATCH])
        columns = {"updated_at", *_ELECTION_FIELDS}
        by_columns: dict[frozenset[str], list[dict[str, Any]]] = {}
        for values in changed:
            names = frozenset(name[2:] for name in values if name.startswith("v_"))
            by_columns.setdefault(names, []).append(values)
        for names, rows in by_columns.items():
            assert names <= columns
            await self.connection.execute(
                update(ELECTIONS)
                .where(ELECTIONS.c.key == bindparam("b_key"))
                .values({name: bindparam(f"v_{name}") for name in names}),
                rows,
            )
        self.report.elections_added = len(fresh)
        self.report.elections_updated = len(changed)

    async def _districts(self) -> None:
        x, e = self.x.districts, ELECTIONS
        source = (
            select(x.c.key, e.c.id, x.c.number, x.c.name, x.c.seats)
            .distinct()
            .join(e, e.c.key == x.c.election_key)
        )
        fresh = await self._empty(DISTRICTS)
        columns = ["key", "election_id", "number", "name", "seats"]
        added, updated = await self._upsert(DISTRICTS, source, columns, fresh)
        self.report.districts_added, self.report.districts_updated = added, updated
        xa, d = self.x.district_areas, DISTRICTS
        if not fresh:  # areas no longer listed for an imported district
            listed = (
                select(xa.c.area_code)
                .join(d, d.c.key == xa.c.district_key)
                .where(d.c.id == district_areas.c.district_id)
                .where(xa.c.area_code == district_areas.c.area_code)
            )
            imported = select(d.c.id).join(x, x.c.key == d.c.key)
            await self.connection.execute(
                delete(district_areas).where(
                    district_areas.c.district_id.in_(imported), ~listed.exists()
                )
            )
        pairs = select(d.c.id, xa.c.area_code).distinct().join(d, d.c.key == xa.c.district_key)
        statement = self._insert(district_areas).from_select(
            ["district_id", "area_code"], pairs.where(true())
        )
        await self.connection.execute(statement if fresh else statement.on_conflict_do_nothing())

    async def _persons(self) -> None:
        """New and renamed persons, with display pinyin and search keys computed here."""
        x, p, todo = self.x.persons, PERSONS, self.x.person_todo
        wanted = select(x.c.key, x.c.name, x.c.aliases).distinct().subquery()
        await self.connection.execute(
            insert(todo).from_select(
                ["key", "name", "aliases", "person_id"],
                select(wanted.c.key, wanted.c.name, wanted.c.aliases, p.c.id)
                .outerjoin(p, p.c.key == wanted.c.key)
                .where(
                    or_(
                        p.c.id.is_(None),
                        p.c.name != wanted.c.name,
                        p.c.aliases.cast(Text) != wanted.c.aliases,
                    )
                ),
            )
        )
        total = await self._count(select(func.count()).select_from(todo))
        self.progress("writing persons", 0, total)
        ids = Ids(self.connection, PERSONS)
        add_person = BulkInsert(
            self.connection, PERSONS, ["id", "key", "name", "pinyin", "aliases"]
        )
        add_keys = BulkInsert(self.connection, KEYS, ["person_id", "kind", "key"])
        pending: deque[tuple[Sequence[Any], list[int], asyncio.Future[Keyed]]] = deque()
        done = last = 0
        with KeyMaker(total) as keys:
            while True:
                rows = (
                    await self.connection.execute(
                        select(todo).where(todo.c.n > last).order_by(todo.c.n).limit(BATCH)
                    )
                ).all()
                if rows:
                    last = rows[-1].n
                    new_ids = iter(await ids.take(sum(row.person_id is None for row in rows)))
                    person_ids = [row.person_id or next(new_ids) for row in rows]
                    people = [
                        (i, row.name, row.aliases) for i, row in zip(person_ids, rows, strict=True)
                    ]
                    pending.append((rows, person_ids, keys.start(people)))
                if pending and (not rows or len(pending) > keys.workers):
                    batch, person_ids, future = pending.popleft()
                    pinyins, key_rows = await future
                    await self._write_persons(
                        batch, person_ids, pinyins, key_rows, add_person, add_keys
                    )
                    done += len(batch)
                    self.progress("writing persons", done, total)
                elif not rows:
                    break

    async def _write_persons(
        self,
        rows: Sequence[Any],
        person_ids: list[int],
        pinyins: list[str],
        key_rows: list[tuple[int, str, str]],
        add_person: BulkInsert,
        add_keys: BulkInsert,
    ) -> None:
        fresh, renamed = [], []
        for row, person_id, pinyin in zip(rows, person_ids, pinyins, strict=True):
            if row.person_id is None:
                fresh.append((person_id, row.key, row.name, pinyin, row.aliases))
            else:
                renamed.append(
                    {"b_id": person_id, "v_name": row.name, "v_pinyin": pinyin,
                     "v_aliases": json.loads(row.aliases)}
                )  # fmt: skip
        await add_person.run(fresh)
        if renamed:
            await self.connection.execute(
                update(PERSONS)
                .where(PERSONS.c.id == bindparam("b_id"))
                .values(
                    name=bindparam("v_name"),
                    pinyin=bindparam("v_pinyin"),
                    aliases=bindparam("v_aliases", type_=PERSONS.c.aliases.type),
                ),
                renamed,
            )
            await self.connection.execute(
                delete(KEYS).where(KEYS.c.person_id == bindparam("b_id")),
                [{"b_id": change["b_id"]} for change in renamed],
            )
        await add_keys.run(key_rows)
        self.report.persons_added += len(fresh)
        self.report.persons_updated += len(renamed)

    async def _candidacies(self) -> None:
        x, p, d = self.x.candidacies, PERSONS, DISTRICTS
        source = (
            select(x.c.key, p.c.id, d.c.id, x.c.stage, x.c.nomination, x.c.nominator_count)
            .join(p, p.c.key == x.c.person_key)
            .join(d, d.c.key == x.c.district_key)
        )
        columns = ["key", "person_id", "district_id", "stage", "nomination", "nominator_count"]
        fresh = await self._empty(CANDIDACIES)
        added, updated = await self._upsert(CANDIDACIES, source, columns, fresh)
        self.report.candidacies_added, self.report.candidacies_updated = added, updated

    async def _points(self) -> None:
        """New points, changed topics, and a new approved revision where the wording changed."""
        x, c, pp = self.x.points, CANDIDACIES, POINTS
        if await self.connection.scalar(select(x.c.position).limit(1)) is None:
            return
        at_point = and_(pp.c.candidacy_id == c.c.id, pp.c.position == x.c.position)
        fresh = await self._empty(POINTS)
        new = select(c.c.id, x.c.topic, x.c.position).join(c, c.c.key == x.c.candidacy_key)
        if not fresh:
            new = new.where(~select(pp.c.id).where(at_point).exists())
        result = await self.connection.execute(
            insert(pp).from_select(["candidacy_id", "topic", "position"], new)
        )
        self.report.points_added = result.rowcount
        if not fresh:
            wanted = (
                select(x.c.topic)
                .join(c, c.c.key == x.c.candidacy_key)
                .where(c.c.id == pp.c.candidacy_id, x.c.position == pp.c.position)
                .scalar_subquery()
            )
            await self.connection.execute(
                update(pp).values(topic=wanted).where(wanted.is_not(None), wanted != pp.c.topic)
            )
        for language, column in (("zh_CN", x.c.zh), ("en", x.c.en)):
            await self._revisions(language, column, at_point, fresh)

    async def _revisions(
        self, language: str, wording: Any, at_point: ColumnElement[bool], fresh: bool
    ) -> None:
        x, c, pp, r = self.x.points, CANDIDACIES, POINTS, REVISIONS
        now = literal(self.now, UTCDateTime())
        source = (
            select(pp.c.id, literal(language), wording, literal(APPROVED), now, now)
            .select_from(x)
            .join(c, c.c.key == x.c.candidacy_key)
            .join(pp, at_point)
            .where(wording != "")
        )
        if not fresh:
            latest = (
                select(r.c.text)
                .where(
                    r.c.point_id == pp.c.id,
                    r.c.language == language,
                    r.c.status == Moderation.approved.value,
                )
                .order_by(r.c.id.desc())
                .limit(1)
                .scalar_subquery()
            )
            source = source.where(func.coalesce(latest, "") != wording)
        result = await self.connection.execute(
            insert(r).from_select(
                ["point_id", "language", "text", "status", "created_at", "decided_at"], source
            )
        )
        self.report.revisions_added += result.rowcount
