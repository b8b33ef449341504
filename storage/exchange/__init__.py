"""Import and export of elections, districts, persons and candidacies, as CSV (one row
per candidacy) or Popolo JSON. The formats are described in docs/IMPORT_FORMAT.md."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from sqlalchemy.ext.asyncio import AsyncEngine

from .changes import ImportChanges
from .csv_format import write_csv
from .exporter import rows
from .formats import FileSource
from .importer import OnChanges, import_source
from .merge import Progress
from .popolo import write_popolo
from .records import Problems
from .report import ImportRefused, ImportReport, NoDivisions
from .sources import FORMATS, guess_format

__all__ = [
    "FORMATS",
    "ImportChanges",
    "ImportRefused",
    "ImportReport",
    "NoDivisions",
    "OnChanges",
    "Problems",
    "export",
    "guess_format",
    "import_file",
]


def _quiet(_phase: str, _done: int, _total: int | None) -> None:
    pass


async def import_file(
    engine: AsyncEngine,
    path: Path,
    file_format: str,
    *,
    progress: Progress = _quiet,
    on_changes: OnChanges | None = None,
) -> ImportReport:
    """Imports a CSV or Popolo file (``.gz`` compressed or not), all or nothing;
    ``on_changes`` hears, in the import's transaction, what changed for followers.

    Raises ``ImportRefused`` listing every error when the file has any, and
    ``NoDivisions`` when the database has no areas (``candibot areas load``).
    """
    return await import_source(
        engine, FileSource(path, file_format), progress=progress, on_changes=on_changes
    )


async def export(engine: AsyncEngine, file_format: str, out: TextIO) -> int:
    """Writes every candidacy in a fixed order; returns how many."""
    if file_format not in FORMATS:
        raise ValueError(f"unknown format {file_format!r}")
    async with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execution_options(isolation_level="REPEATABLE READ")
        async with connection.begin():
            if file_format == "csv":
                return await write_csv(rows(connection), out)
            return await write_popolo(connection, out)
