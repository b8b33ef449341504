"""One import, all or nothing: read and check the whole file into staging tables, then
merge it into the real tables, in a single transaction."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.models import Area
from storage.types import utcnow

from .checks import run_checks
from .merge import Merger, Progress
from .records import Located, Problems
from .report import ImportRefused, ImportReport
from .staging import Stager, Staging

#: SQLite page cache for the import's connection (KiB): big writes need it.
SQLITE_CACHE_KIB = 256 * 1024
#: How many records between two progress reports while reading.
PROGRESS_EVERY = 20_000


class Source(Protocol):
    """A file being read: its records, and how to name a place in it."""

    #: Whether records refer to each other by id (and so need checking).
    references: bool

    def records(self, areas: Mapping[str, str], problems: Problems) -> Iterator[Located]: ...

    def where(self, kind: str, at: int) -> str: ...

    def position(self) -> tuple[int, int | None]:
        """Bytes read so far, and the file's size if known."""
        ...


def _quiet(_phase: str, _done: int, _total: int | None) -> None:
    pass


async def import_source(
    engine: AsyncEngine,
    source: Source,
    *,
    progress: Progress = _quiet,
    now: datetime | None = None,
) -> ImportReport:
    """Imports ``source``; raises ``ImportRefused`` (and writes nothing) if it has errors."""
    async with engine.connect() as connection, connection.begin():
        if connection.dialect.name == "sqlite":
            await connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        staging = Staging.define()
        await staging.create(connection)
        problems = Problems()
        stager = await _stage(connection, staging, source, problems, progress)
        progress("checking", 0, None)
        await staging.index(connection)
        await run_checks(connection, staging, problems, source.where, references=source.references)
        if problems:
            raise ImportRefused(problems)
        merger = Merger(connection, staging, now or utcnow(), progress)
        report = await merger.run(stager.elections)
        await staging.drop(connection)
        return report


async def _stage(
    connection: AsyncConnection,
    staging: Staging,
    source: Source,
    problems: Problems,
    progress: Progress,
) -> Stager:
    areas = {code: level for code, level in await connection.execute(select(Area.code, Area.level))}
    stager = Stager(connection, staging, problems, source.where)
    for count, item in enumerate(source.records(areas, problems), 1):
        await stager.add(item)
        if count % PROGRESS_EVERY == 0:
            progress("reading", *source.position())
    await stager.finish()
    progress("reading", *source.position())
    return stager
