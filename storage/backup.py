"""A consistent copy of a live SQLite database, through SQLite's online backup API: the
bot may go on writing meanwhile. PostgreSQL has ``pg_dump`` (docs/DEPLOY.md).

The copy is one file (rollback-journal mode, so no ``-wal`` beside it), private (0600),
checked with ``PRAGMA integrity_check``, and put in place by a rename only once whole.
It holds no key: the keys live in their own files, to be backed up apart.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

#: Pages copied per step; the source is unlocked between steps so the bot can write.
PAGES_PER_STEP = 1024


class BackupError(Exception):
    """The copy could not be made; the message says why, for the operator."""


def backup_sqlite(source: Path, destination: Path) -> int:
    """Copy the database ``source`` to the new file ``destination``; its size in bytes."""
    if not source.is_file():
        raise BackupError(f"there is no SQLite database at {source}")
    if destination.exists():
        raise BackupError(f"{destination} exists already: name a new file")
    if not destination.parent.is_dir():
        raise BackupError(f"the directory {destination.parent} does not exist")
    partial = destination.with_name(f".{destination.name}.{os.getpid()}.partial")
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        # Never creates the source (mode=rw); read-write only so that, as the last
        # connection, it removes the -wal and -shm files it opened.
        reading = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True)
        with (
            contextlib.closing(reading) as src,
            contextlib.closing(sqlite3.connect(partial)) as dst,
        ):
            src.backup(dst, pages=PAGES_PER_STEP)
            dst.execute("PRAGMA journal_mode=DELETE")
            verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(f"the copy does not pass SQLite's integrity check: {verdict}")
        os.replace(partial, destination)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return destination.stat().st_size
