"""Moves validated staging rows into the real tables: set-based upserts by stable key
(``INSERT … SELECT``), persons with the pinyin and search keys staged with them."""

from __future__ import annotations

from collections.abc import Callable
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
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import Date, Text

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

from .changes import ImportChanges
from .person_keys import KIND_END
from .records import ElectionRecord
from .report import ImportReport
from .staging import Staging

#: Elections per statement.
BATCH = 20_000

APPROVED = Moderation.approved.value
Progress = Callable[[str, int, int | None], None]

ELECTIONS, DISTRICTS, PERSONS, KEYS, CANDIDACIES, POINTS, REVISIONS = (
    cast(Table, model.__table__)
    for model in (
        Election, ElectoralDistrict, Person, PersonSearchKey, Candidacy, PlatformPoint,
        PlatformPointRevision,
    )
)  # fmt: skip
#: Tables whose plain indexes serve the bot's queries but none of the merge's look-ups, so
#: that they may be built after the load when the table starts empty (indexes.py).
DEFERRABLE = (KEYS, CANDIDACIES, DISTRICTS, district_areas, REVISIONS)
#: Every table an import writes.
WRITTEN = frozenset(
    table.name
    for table in (ELECTIONS, DISTRICTS, district_areas, PERSONS, KEYS, CANDIDACIES, POINTS,
                  REVISIONS)
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
        changes: ImportChanges | None = None,
    ) -> None:
        self.connection = connection
        self.x = staging
        self.now = now
        self.progress = progress
        self.report = ImportReport()
        #: When given, collects what followers of a place want to hear of.
        self.changes = changes

    async def run(self, elections: dict[str, tuple[ElectionRecord, int]]) -> ImportReport:
        await self._elections([record for record, _ in elections.values()])
        self.progress("writing districts", 0, None)
        await self._districts()
        await self._persons()
        if self.changes is not None:
            await self.changes.collect(self.connection, self.x)
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
            if self.changes is not None:
                self.changes.note_election(record.key, row, values)
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
        """New and renamed persons, with the display pinyin and search keys staged with
        them, and the search keys of renamed persons replaced."""
        x, p, todo = self.x.persons, PERSONS, self.x.person_todo
        # A key's rows agree (checks.py), so its first row stands for the person.
        earlier = x.alias("earlier")
        first = (
            ~select(earlier.c.at).where(earlier.c.key == x.c.key, earlier.c.at < x.c.at).exists()
        )
        await self.connection.execute(
            insert(todo).from_select(
                ["key", "name", "aliases", "pinyin", "search_keys", "person_id"],
                select(x.c.key, x.c.name, x.c.aliases, x.c.pinyin, x.c.search_keys, p.c.id)
                .outerjoin(p, p.c.key == x.c.key)
                .where(
                    first,
                    or_(
                        p.c.id.is_(None),
                        p.c.name != x.c.name,
                        p.c.aliases.cast(Text) != x.c.aliases,
                    ),
                ),
            )
        )
        added = await self._count(select(func.count()).where(todo.c.person_id.is_(None)))
        renamed = await self._count(select(func.count()).where(todo.c.person_id.is_not(None)))
        self.progress("writing persons", 0, added + renamed)
        await self.connection.execute(
            insert(p).from_select(
                ["key", "name", "pinyin", "aliases"],
                select(todo.c.key, todo.c.name, todo.c.pinyin, self._json(todo.c.aliases))
                .where(todo.c.person_id.is_(None))
                .order_by(todo.c.n),
            )
        )
        if renamed:
            await self.connection.execute(
                update(p)
                .where(p.c.id == todo.c.person_id)
                .values(name=todo.c.name, pinyin=todo.c.pinyin, aliases=self._json(todo.c.aliases))
            )
            await self.connection.execute(
                delete(KEYS).where(
                    KEYS.c.person_id.in_(
                        select(todo.c.person_id).where(todo.c.person_id.is_not(None))
                    )
                )
            )
        await self.connection.execute(
            insert(KEYS).from_select(["person_id", "kind", "key"], self._search_keys())
        )
        self.report.persons_added, self.report.persons_updated = added, renamed
        self.progress("writing persons", added + renamed, added + renamed)

    def _json(self, value: ColumnElement[Any]) -> ColumnElement[Any]:
        """Staged JSON text as a value for a JSON column."""
        if self.connection.dialect.name == "postgresql":
            return sql_cast(value, postgresql.JSON)
        return value

    def _search_keys(self) -> Select[Any]:
        """(person id, kind, key) for each staged "kind:key" text of the persons to do."""
        todo, p = self.x.person_todo, PERSONS
        if self.connection.dialect.name == "postgresql":
            texts = func.json_array_elements_text(sql_cast(todo.c.search_keys, postgresql.JSON))
            each = texts.table_valued("value")
            end = func.strpos(each.c.value, KIND_END)
        else:
            each = func.json_each(todo.c.search_keys).table_valued("value")
            end = func.instr(each.c.value, KIND_END)
        return (
            select(
                p.c.id, func.substr(each.c.value, 1, end - 1), func.substr(each.c.value, end + 1)
            )
            .select_from(todo)
            .join(p, p.c.key == todo.c.key)
            .join(each, true())
        )

    async def _candidacies(self) -> None:
        x, p, d = self.x.candidacies, PERSONS, DISTRICTS
        # An empty source or checked day keeps what is stored (none for a new candidacy).
        stored = CANDIDACIES.alias("stored")
        checked: ColumnElement[Any] = x.c.checked_on
        if self.connection.dialect.name == "postgresql":  # SQLite keeps dates as this text
            checked = sql_cast(checked, Date)
        source = (
            select(
                x.c.key, p.c.id, d.c.id, x.c.stage, x.c.nomination, x.c.nominator_count,
                func.coalesce(func.nullif(x.c.source, ""), stored.c.source, ""),
                func.coalesce(checked, stored.c.checked_on),
            )
            .join(p, p.c.key == x.c.person_key)
            .join(d, d.c.key == x.c.district_key)
            .outerjoin(stored, stored.c.key == x.c.key)
        )  # fmt: skip
        columns = ["key", "person_id", "district_id", "stage", "nomination", "nominator_count",
                   "source", "checked_on"]  # fmt: skip
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
