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
