"""SQLite statements run in the event loop's thread; waits for another process's write
lock do not stop the loop (storage.sqlite_inline)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from sqlalchemy import text

from storage.db import make_engine


async def test_sqlite_statements_run_in_the_event_loops_thread(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'inline.sqlite'}")
    try:
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            raw.driver_connection._conn.create_function("thread", 0, threading.get_ident)
            ran_in = await connection.scalar(text("SELECT thread()"))
        assert ran_in == threading.get_ident()
    finally:
        await engine.dispose()


async def test_a_write_lock_held_elsewhere_is_waited_for_without_stopping_the_loop(
    tmp_path: Path,
) -> None:
    path = tmp_path / "locked.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    other = sqlite3.connect(path, isolation_level=None)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (n INTEGER)"))
        other.execute("BEGIN IMMEDIATE")  # another process's import, say

        async def write() -> None:
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO t VALUES (1)"))

        writing = asyncio.create_task(write())
        await asyncio.sleep(0.2)  # the loop runs on while the writer waits
        assert not writing.done(), "the writer neither failed nor went ahead"
        other.execute("COMMIT")
        await writing
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT count(*) FROM t")) == 1
            # The wait's timeout was for that statement only.
            assert await connection.scalar(text("PRAGMA busy_timeout")) == 0
    finally:
        other.close()
        await engine.dispose()


#: The aiosqlite releases whose private internals storage.sqlite_inline was checked against.
TESTED = ("0.22",)


def test_aiosqlite_still_has_the_internals_the_inline_connection_overrides() -> None:
    """Fails loudly, naming what moved, when an aiosqlite release changes its internals;
    pyproject.toml pins the range that passed."""
    import inspect
    from importlib.metadata import version

    import aiosqlite

    installed = version("aiosqlite")
    assert installed.startswith(TESTED), (
        f"aiosqlite {installed} is untested with storage.sqlite_inline: check the "
        "internals below against its source, then add the release to TESTED and widen "
        "the pin in pyproject.toml"
    )
    execute = aiosqlite.Connection._execute
    assert inspect.iscoroutinefunction(execute), "Connection._execute is no longer async"
    assert list(inspect.signature(execute).parameters) == ["self", "fn", "args", "kwargs"]
    assert isinstance(aiosqlite.Connection.__dict__.get("_conn"), property), "_conn moved"
    source = inspect.getsource(aiosqlite.Connection.__init__)
    for attribute in ("self._running", "self._connection", "self._thread"):
        assert attribute in source, f"Connection.__init__ no longer sets {attribute}"
