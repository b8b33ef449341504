"""aiosqlite without the thread hop: SQLite statements run in the event loop's thread.

aiosqlite runs every call (cursor, execute, fetch, commit) in a worker thread and wakes
the event loop for each result. A SQLite statement of the bot takes tens of
microseconds; the hop around it costs more, and on a busy two-core machine, where the
woken thread waits for a core, far more: through the Telegram benchmark the bot handled
115 updates a second with the hops and 248 without (docs/BENCHMARKS.md).

The one wait SQLite can impose, for the write lock that another process holds (an
import, a second bot process), still happens in aiosqlite's worker thread, so the event
loop never stops for it: the connection runs with no busy timeout, and a statement that
finds the database locked is run again in the worker thread with the usual timeout.

This overrides aiosqlite's private ``_execute`` and reads ``_conn``, ``_running``,
``_connection`` and ``_thread``: aiosqlite offers no public seam for running a call in
the caller's thread. pyproject.toml pins the releases that
``test_aiosqlite_still_has_the_internals_the_inline_connection_overrides`` checked.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any

import aiosqlite


def _busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose statements run where they are awaited."""

    #: How long a statement that found the database locked waits in the worker thread.
    busy_timeout_ms: int

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        try:
            return fn(*args, **kwargs)
        except sqlite3.OperationalError as error:
            if not _busy(error):
                raise
        # A statement that got SQLITE_BUSY did nothing; run it again where waiting is
        # harmless. (aiosqlite's own queue, so its thread runs it.)
        return await super()._execute(self._waiting, fn, args, kwargs)  # type: ignore[no-untyped-call]

    def _waiting(self, fn: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        connection = self._conn
        connection.execute(f"PRAGMA busy_timeout={self.busy_timeout_ms}")
        try:
            return fn(*args, **kwargs)
        finally:
            connection.execute("PRAGMA busy_timeout=0")


def connector(database: str, busy_timeout_ms: int) -> Callable[[], InlineConnection]:
    """For ``create_async_engine(async_creator=...)``: opens ``database`` (a path or
    ``:memory:``) with an ``InlineConnection``."""

    def connect() -> InlineConnection:
        # Opened in aiosqlite's thread, used in the loop's: hence check_same_thread.
        # timeout=0: no busy wait inside the event loop (see above).
        opener = partial(sqlite3.connect, database, check_same_thread=False, timeout=0)
        connection = InlineConnection(opener, iter_chunk_size=64)
        connection.busy_timeout_ms = busy_timeout_ms
        connection._thread.daemon = True
        return connection

    return connect
