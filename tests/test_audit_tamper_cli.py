"""Issue 11, finding 11, from the outside: someone who can write the database (but not
the audit key or the checkpoint file beside it) rewrites or deletes audit rows, and
``candibot audit verify`` exits non-zero."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from storage.db import make_engine
from storage.models import AuditEntry

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(tmp_path: Path) -> tuple[Run, str]:
    url = f"sqlite:///{tmp_path / 'audit.sqlite'}"
    env = {"CANDIBOT_DATABASE_URL": url, "CANDIBOT_CONFIG": str(tmp_path / "none.toml"),
           "PATH": "/usr/bin:/bin"}  # fmt: skip

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "bot.cli", *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path,
                              timeout=120, check=False)  # fmt: skip

    for who in ("telegram:41", "telegram:42", "telegram:43"):
        assert run("moderators", "add", who).returncode == 0
    good = run("audit", "verify")
    assert good.returncode == 0 and "intact: 3 entries" in good.stdout, good.stdout
    return run, url


def plain_sha256(prev_hash: str, entry: AuditEntry) -> str:
    """What anyone can compute from the public source: the chain's old, unkeyed hash."""
    canonical = json.dumps(
        [prev_hash, entry.at.isoformat(), entry.actor, entry.action, entry.target_type,
         entry.target_id, entry.detail],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str,
    )  # fmt: skip
    return hashlib.sha256(canonical.encode()).hexdigest()


async def rewrite(url: str, first: int, **changes: Any) -> None:
    """Change row ``first`` and recompute every hash from there on, as an attacker would."""
    engine = make_engine(url)
    async with engine.begin() as connection:
        await connection.execute(update(AuditEntry).where(AuditEntry.id == first).values(changes))
    async with engine.begin() as connection:
        rows = (await connection.execute(select(AuditEntry).order_by(AuditEntry.id))).all()
        previous = "0" * 64
        for row in rows:
            if row.id >= first:
                new = plain_sha256(previous, row)  # type: ignore[arg-type]
                await connection.execute(
                    update(AuditEntry).where(AuditEntry.id == row.id)
                    .values(prev_hash=previous, entry_hash=new)
                )  # fmt: skip
                previous = new
            else:
                previous = row.entry_hash
    await engine.dispose()


async def delete_rows(url: str, *, newest: int | None = None) -> None:
    engine = make_engine(url)
    async with engine.begin() as connection:
        if newest is None:
            await connection.execute(delete(AuditEntry))
        else:
            top = await connection.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()))
            assert top is not None
            await connection.execute(delete(AuditEntry).where(AuditEntry.id > top - newest))
    await engine.dispose()


async def test_a_row_rewritten_with_a_recomputed_plain_sha256_is_caught(
    cli: tuple[Run, str],
) -> None:
    run, url = cli
    await rewrite(url, 2, target_id="telegram:666")
    bad = run("audit", "verify")
    assert bad.returncode == 1 and "entry 2" in bad.stdout, bad.stdout


async def test_the_whole_chain_rewritten_with_plain_sha256_is_caught(
    cli: tuple[Run, str],
) -> None:
    run, url = cli
    await rewrite(url, 1, target_id="telegram:666")
    bad = run("audit", "verify")
    assert bad.returncode == 1, bad.stdout


@pytest.mark.parametrize("newest", [1, 2])
async def test_deleting_the_newest_rows_after_a_checkpoint_is_caught(
    cli: tuple[Run, str], newest: int
) -> None:
    run, url = cli
    await delete_rows(url, newest=newest)
    bad = run("audit", "verify")
    assert bad.returncode == 1 and "deleted" in bad.stdout, bad.stdout


async def test_deleting_the_whole_audit_table_is_caught(cli: tuple[Run, str]) -> None:
    run, url = cli
    await delete_rows(url)
    bad = run("audit", "verify")
    assert bad.returncode == 1 and "deleted" in bad.stdout, bad.stdout


async def test_a_checkpoint_file_with_a_bad_signature_is_rejected(
    cli: tuple[Run, str], tmp_path: Path
) -> None:
    run, url = cli
    # Whoever deleted the newest row also "updates" the checkpoint to match, without the key.
    await delete_rows(url, newest=1)
    path = tmp_path / "var" / "audit.checkpoint"
    forged = json.loads(path.read_text()) if path.exists() else {"mac": "00" * 32}
    forged.update(entries=2, head_id=2)
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(forged))
    bad = run("audit", "verify")
    assert bad.returncode == 1 and "checkpoint" in bad.stdout, bad.stdout
