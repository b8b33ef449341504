"""The audit log: append-only and hash-chained, so that nothing is quietly changed.

Each entry's hash covers its content and the previous entry's hash. Changing or
deleting a row breaks every hash after it; ``verify`` names the first broken row.
Entries are appended one at a time (a lock on PostgreSQL, the write lock on
SQLite), so the chain never forks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry
from storage.types import utcnow

GENESIS = "0" * 64
#: The advisory lock that serialises appends on PostgreSQL.
_LOCK_ID = 0x6361_6E64_6962_6F74  # "candibot"


def _digest(prev_hash: str, at: datetime, actor: str, action: str, target_type: str,
            target_id: str, detail: dict[str, Any]) -> str:  # fmt: skip
    canonical = json.dumps(
        [prev_hash, at.isoformat(), actor, action, target_type, target_id, detail],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str,
    )  # fmt: skip
    return hashlib.sha256(canonical.encode()).hexdigest()


def _hash_of(entry: AuditEntry) -> str:
    return _digest(
        entry.prev_hash, entry.at, entry.actor, entry.action, entry.target_type,
        entry.target_id, entry.detail,
    )  # fmt: skip


async def record(
    session: AsyncSession,
    actor: str,
    action: str,
    target_type: str = "",
    target_id: str | int = "",
    **detail: Any,
) -> AuditEntry:
    """Append an entry. ``detail`` holds what changed (before/after, a reason): never a
    reporter's identity or a report's text."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
    last = await session.scalar(
        select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)
    )
    # Round-trip through JSON now, so the hash covers exactly what the row will hold.
    clean = json.loads(json.dumps(detail, ensure_ascii=False, default=str))
    entry = AuditEntry(
        at=utcnow().replace(microsecond=0), actor=actor, action=action,
        target_type=target_type, target_id=str(target_id), detail=clean, prev_hash=last or GENESIS,
    )  # fmt: skip
    entry.entry_hash = _hash_of(entry)
    session.add(entry)
    await session.flush()
    return entry


@dataclass(frozen=True, slots=True)
class Verdict:
    entries: int
    #: The id of the first entry whose hash or link does not hold, or None.
    first_broken: int | None

    @property
    def intact(self) -> bool:
        return self.first_broken is None


async def verify(session: AsyncSession, batch: int = 5000) -> Verdict:
    """Walk the chain from the start; stop at the first row that does not hold."""
    previous, count, last_id = GENESIS, 0, 0
    while True:
        rows: Sequence[AuditEntry] = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id)
                .limit(batch)
            )
        ).all()  # fmt: skip
        if not rows:
            return Verdict(count, None)
        for entry in rows:
            if entry.prev_hash != previous or _hash_of(entry) != entry.entry_hash:
                return Verdict(count, entry.id)
            previous, count, last_id = entry.entry_hash, count + 1, entry.id


async def recent(session: AsyncSession, limit: int = 10) -> list[AuditEntry]:
    rows = await session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))
    return list(rows)
