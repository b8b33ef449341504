"""`candibot demo` starts from a cached copy of the divisions: built once per version of
the storage package, copied for each start, and never a reason for the demo to fail."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.cli.demo_cache import PREFIX, fingerprint, fresh_database


def _areas(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute("SELECT count(*) FROM areas").fetchone()[0])


async def test_the_divisions_are_built_once_then_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    stale = tmp_path / "cache" / "candibot" / f"{PREFIX}0123456789abcdef.sqlite"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"an older version's copy")

    await fresh_database(tmp_path / "first.sqlite")
    cached = tmp_path / "cache" / "candibot" / f"{PREFIX}{fingerprint()}.sqlite"
    built = cached.stat()
    await fresh_database(tmp_path / "second.sqlite")

    assert cached.stat().st_ino == built.st_ino and cached.stat().st_mtime == built.st_mtime
    assert _areas(tmp_path / "first.sqlite") == _areas(tmp_path / "second.sqlite") > 44_000
    assert not stale.exists(), "an older version's copy is removed"
    assert [p.name for p in cached.parent.iterdir()] == [cached.name], "no half-built file"


async def test_without_a_usable_cache_the_database_is_built_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    await fresh_database(tmp_path / "demo.sqlite")
    assert _areas(tmp_path / "demo.sqlite") > 44_000
