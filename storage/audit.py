"""The audit log: append-only and chained under a key, so that nothing is quietly changed.

Each entry's hash is an HMAC-SHA256, under the deployment's audit key, of its content
and the previous entry's hash. The key lives outside the database (a file, like the
identity key), so someone who can write the database can neither rewrite a row nor
recompute the chain after it. Deleting the newest rows leaves a shorter chain that
still holds: signed checkpoints of the chain's head, kept outside the database
(``storage.audit_checkpoint``), catch that. ``verify`` names the first row that does
not hold, and compares the chain with the last checkpoint.

Rows written before the key existed carry a plain SHA-256 ("legacy" rows). They are
accepted only as the chain's beginning, and only once a keyed row follows them: that
row's MAC covers the last legacy hash, so from then on they cannot change unseen.
Before that, nothing tells them from a chain that someone recomputed; ``verify`` says
so. The bot seals such a chain when it starts (``seal``).

Entries are appended one at a time (a lock on PostgreSQL, the write lock on SQLite),
so the chain never forks. An append costs one read of the last hash and one HMAC.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry
from storage.types import utcnow

GENESIS = "0" * 64
#: The advisory lock that serialises appends on PostgreSQL.
_LOCK_ID = 0x6361_6E64_6962_6F74  # "candibot"
#: Who seals a legacy chain: the bot itself, not a person.
SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class AuditKey:
    """The secret behind the chain's MACs and the checkpoints' signatures."""

    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.secret) < 32:
            raise ValueError("the audit key must be at least 32 bytes")

    @classmethod
    def ephemeral(cls) -> AuditKey:
        """A key for this process only (tests, the throwaway demo): a chain written
        under it verifies nowhere else, which fails loudly rather than quietly."""
        return cls(secrets.token_bytes(32))

    def mac(self, purpose: str, message: bytes) -> str:
        # The purpose keeps a row's MAC from ever passing as a checkpoint's, and back.
        return hmac.new(self.secret, purpose.encode() + b"\x1f" + message, "sha256").hexdigest()


def _canonical(prev_hash: str, at: datetime, actor: str, action: str, target_type: str,
               target_id: str, detail: dict[str, Any]) -> bytes:  # fmt: skip
    return json.dumps(
        [prev_hash, at.isoformat(), actor, action, target_type, target_id, detail],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str,
    ).encode()  # fmt: skip


def _content(entry: AuditEntry) -> bytes:
    return _canonical(
        entry.prev_hash, entry.at, entry.actor, entry.action, entry.target_type,
        entry.target_id, entry.detail,
    )  # fmt: skip


def _keyed(key: AuditKey, entry: AuditEntry) -> bool:
    return hmac.compare_digest(key.mac("audit-row", _content(entry)), entry.entry_hash)


def _legacy(entry: AuditEntry) -> bool:
    return hashlib.sha256(_content(entry)).hexdigest() == entry.entry_hash


async def record(
    session: AsyncSession,
    key: AuditKey,
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
    # Round-trip through JSON now, so the MAC covers exactly what the row will hold.
    clean = json.loads(json.dumps(detail, ensure_ascii=False, default=str))
    entry = AuditEntry(
        at=utcnow().replace(microsecond=0), actor=actor, action=action,
        target_type=target_type, target_id=str(target_id), detail=clean, prev_hash=last or GENESIS,
    )  # fmt: skip
    entry.entry_hash = key.mac("audit-row", _content(entry))
    session.add(entry)
    await session.flush()
    return entry


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The chain's head at one moment: how many entries, the last one's id and hash."""

    entries: int
    head_id: int
    head_hash: str
    at: datetime


class Problem(StrEnum):
    #: A row's MAC or its link to the row before does not hold (``first_broken``).
    broken = "broken"
    #: Unkeyed rows that no keyed row follows: a recomputed chain looks the same.
    unsealed = "unsealed"
    #: The chain ends before the last checkpoint's head: its newest rows were deleted.
    deleted = "deleted"
    #: The row the last checkpoint names is not the one it signed.
    checkpoint = "checkpoint"


@dataclass(frozen=True, slots=True)
class Verdict:
    entries: int
    #: The id of the first entry whose hash or link does not hold, or None.
    first_broken: int | None = None
    problem: Problem | None = None
    #: Unkeyed rows from before the audit key, at the chain's start.
    legacy: int = 0
    #: The last entry that holds, as a checkpoint would name it.
    head: Checkpoint | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None


class _Walk:
    """The state of one pass along the chain."""

    def __init__(self, key: AuditKey, checkpoint: Checkpoint | None) -> None:
        self.key, self.checkpoint = key, checkpoint
        self.previous, self.count, self.legacy, self.keyed = GENESIS, 0, 0, False
        self.head: AuditEntry | None = None
        self.reached = checkpoint is None

    def step(self, entry: AuditEntry) -> Verdict | None:
        """None while the chain holds; the verdict at the first row that does not."""
        if entry.prev_hash != self.previous:
            return self.verdict(Problem.broken, entry.id)
        if _keyed(self.key, entry):
            self.keyed = True
        elif not self.keyed and _legacy(entry):
            self.legacy += 1
        else:
            return self.verdict(Problem.broken, entry.id)
        self.previous, self.count, self.head = entry.entry_hash, self.count + 1, entry
        mark = self.checkpoint
        if mark is not None and not self.reached and entry.id >= mark.head_id:
            if (entry.id, self.count) != (mark.head_id, mark.entries) or not hmac.compare_digest(
                entry.entry_hash, mark.head_hash
            ):
                return self.verdict(Problem.checkpoint, entry.id)
            self.reached = True
        return None

    def end(self) -> Verdict:
        if not self.reached:
            return self.verdict(Problem.deleted)
        if self.legacy and not self.keyed:
            return self.verdict(Problem.unsealed)
        return self.verdict(None)

    def verdict(self, problem: Problem | None, first_broken: int | None = None) -> Verdict:
        head = self.head
        mark = Checkpoint(self.count, head.id, head.entry_hash, utcnow()) if head else None
        return Verdict(self.count, first_broken, problem, self.legacy, mark)


async def verify(
    session: AsyncSession,
    key: AuditKey,
    checkpoint: Checkpoint | None = None,
    *,
    resume: bool = False,
    batch: int = 5000,
) -> Verdict:
    """Walk the chain from the start; stop at the first row that does not hold. With a
    checkpoint, the chain must reach its head and hold the very row it signed.

    ``resume`` walks only what came after the checkpoint, once its row and the count
    up to it still hold: the bot's hourly check, which must not hold SQLite's write
    lock for a walk of the whole log (anyone can add rows to it by being refused)."""
    walk, last_id = _Walk(key, checkpoint), 0
    if resume and checkpoint is not None:
        resumed = await _resume(session, walk, checkpoint)
        if resumed is not None:
            return resumed
        last_id = checkpoint.head_id
    while True:
        rows: Sequence[AuditEntry] = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id)
                .limit(batch)
            )
        ).all()  # fmt: skip
        if not rows:
            return walk.end()
        for entry in rows:
            if (verdict := walk.step(entry)) is not None:
                return verdict
        last_id = rows[-1].id


async def _resume(session: AsyncSession, walk: _Walk, mark: Checkpoint) -> Verdict | None:
    head = await session.get(AuditEntry, mark.head_id)
    if head is None:
        return walk.verdict(Problem.deleted)
    before = await session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.id <= mark.head_id)
    )
    if (
        before != mark.entries
        or not hmac.compare_digest(head.entry_hash, mark.head_hash)
        or not _keyed(walk.key, head)
    ):
        return walk.verdict(Problem.checkpoint, head.id)
    walk.previous, walk.count, walk.keyed, walk.reached = head.entry_hash, mark.entries, True, True
    walk.head = head
    return None


async def seal(session: AsyncSession, key: AuditKey) -> AuditEntry:
    """Append a keyed entry after a chain of legacy rows, so that they cannot change
    unseen from now on. Only for a chain ``verify`` found ``unsealed`` and nothing else."""
    legacy = await session.scalar(select(func.count()).select_from(AuditEntry))
    return await record(session, key, SYSTEM, "audit_keyed", legacy_entries=int(legacy or 0))


async def recent(session: AsyncSession, limit: int = 10) -> list[AuditEntry]:
    rows = await session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))
    return list(rows)
