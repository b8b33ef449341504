"""The demo's empty database with the 44,700 divisions loaded, built once and copied
for each ``candibot demo``: loading the divisions with their pinyin takes seconds."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import storage

#: Kept beside each other's; one per version of ``storage`` (schema, keys, divisions).
PREFIX = "demo-divisions-"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "candibot"


def fingerprint() -> str:
    """What the database holds follows from the storage package alone (migrations, search
    keys, the divisions file): a digest of its files names the cached copy."""
    root = Path(storage.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


async def _build(path: Path) -> None:
    from storage.areas import load_divisions
    from storage.db import make_engine, upgrade
    from storage.unit import unit_factory

    engine = make_engine(f"sqlite:///{path}")
    try:
        await upgrade(engine)
        async with unit_factory(engine)() as unit:
            await load_divisions(unit.session)
    finally:
        await engine.dispose()  # closing the last connection folds the WAL into the file


async def fresh_database(target: Path) -> None:
    """Write at ``target`` a migrated SQLite database holding the divisions: a copy of
    the cached one, built first if there is none. Without a writable cache directory it
    is built in place, as slowly as before."""
    try:
        directory = cache_dir()
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        cached = directory / f"{PREFIX}{fingerprint()}.sqlite"
        if not cached.exists():
            # Built aside and renamed: two demos starting at once never copy half a file.
            with tempfile.TemporaryDirectory(dir=directory) as scratch:
                await _build(Path(scratch) / "build.sqlite")
                os.replace(Path(scratch) / "build.sqlite", cached)
            for old in directory.glob(f"{PREFIX}*.sqlite"):
                if old != cached:
                    old.unlink(missing_ok=True)
        shutil.copyfile(cached, target)
    except OSError:
        target.unlink(missing_ok=True)
        await _build(target)
