"""One import, all or nothing: read and check the whole file into staging tables, then
merge it into the real tables, in a single transaction.

Reading (parsing, checking each value, keying names) runs in the background, for large
files in worker processes, while this process writes the batches already read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from storage.models import Area
from storage.types import utcnow

from .batches import Finished
from .bulk import BulkWriter
from .changes import ImportChanges
from .checks import contest_warnings, run_checks
from .formats import FileSource
from .indexes import DeferredIndexes
from .merge import DEFERRABLE, WRITTEN, Merger, Progress
from .reading import Reader
from .report import ImportRefused, ImportReport, NoDivisions
from .staging import COLUMNS, Staging, StagingWriter
from .tuning import bulk_settings, refresh_statistics

#: Told, inside the import's transaction, what changed in places somebody follows; what
#: it writes through the session commits with the import or not at all.
OnChanges = Callable[[AsyncSession, ImportChanges], Awaitable[object]]


def _quiet(_phase: str, _done: int, _total: int | None) -> None:
    pass


async def import_source(
    engine: AsyncEngine,
    source: FileSource,
    *,
    progress: Progress = _quiet,
    now: datetime | None = None,
    in_process: bool | None = None,
    on_changes: OnChanges | None = None,
) -> ImportReport:
    """Imports ``source``; raises ``ImportRefused`` (and writes nothing) if it has errors,
    ``NoDivisions`` before reading it if the database has no areas at all.
    ``in_process``: read in a worker process (default: for large files). ``on_changes``
    hears what changed for followers, in the same transaction."""
    async with engine.connect() as connection, connection.begin(), bulk_settings(connection):
        staging = Staging.define()
        await staging.create(connection)
        areas = {
            code: level for code, level in await connection.execute(select(Area.code, Area.level))
        }
        if not areas:  # every code would be unknown: one cause, said once
            raise NoDivisions()
        finished = await _stage(connection, staging, source, areas, progress, in_process)
        progress("checking", 0, None)
        await staging.index(connection)
        problems = finished.problems
        await run_checks(connection, staging, problems, source.where, references=source.references)
        if problems:
            raise ImportRefused(problems)
        async with DeferredIndexes(connection, DEFERRABLE, WRITTEN) as deferred:
            changes = ImportChanges() if on_changes is not None else None
            merger = Merger(connection, staging, now or utcnow(), progress, changes)
            report = await merger.run(finished.elections)
            progress("indexing", 0, len(deferred.deferred))
        await contest_warnings(connection, staging, report)
        await staging.drop(connection)
        if on_changes is not None and changes is not None:
            session = AsyncSession(bind=connection, expire_on_commit=False)
            await on_changes(session, changes)
            await session.flush()
            await session.close()
        await refresh_statistics(connection, WRITTEN)
        return report


async def _stage(
    connection: AsyncConnection,
    staging: Staging,
    source: FileSource,
    areas: Mapping[str, str],
    progress: Progress,
    in_process: bool | None,
) -> Finished:
    """Reads the whole file into the staging tables; the end of the file."""
    writer = StagingWriter(connection, staging)
    progress("reading", 0, None)
    async with Reader(source, areas, in_process=in_process) as reader:
        async for batch in reader.batches():
            await writer.write(batch.rows)
            progress("reading", *batch.position)
    assert reader.finished is not None
    elections = BulkWriter(connection, staging.elections, COLUMNS["x_elections"])
    await elections.write(reader.finished.election_rows())
    return reader.finished
