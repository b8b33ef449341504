"""Signed checkpoints of the audit log, so that deleting its newest rows shows.

The running bot writes one at start and every hour, and so does every CLI command that
appends audit rows: the chain since the last checkpoint is checked, and if it holds and
has grown, its head is signed into the checkpoint file (outside the database) and
announced in the moderators' room, a copy no database writer can take back. A chain
that does not hold gets no new checkpoint, which would bless the damage; the room
hears an alarm instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.app import moderation_room
from bot.config import Settings, load_audit_key
from bot.core.i18n import N_, Catalogs
from handlers.announce import bilingual
from storage import audit
from storage.audit_checkpoint import CheckpointError, read_checkpoint, write_checkpoint
from storage.outbox import enqueue
from storage.unit import unit_factory

log = logging.getLogger(__name__)

CHECKPOINT = N_("Audit log checkpoint: {count} entries, the latest with hash {hash}.")
ALARM = N_(
    "The audit log failed its check: it may have been altered. An administrator should "
    "run “candibot audit verify” on the server."
)


@dataclass(frozen=True)
class AuditCheckpoints:
    key: audit.AuditKey
    path: Path
    #: Where checkpoints and alarms are announced, if anywhere.
    room: tuple[str, str] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditCheckpoints:
        key = audit.AuditKey(load_audit_key(settings))
        return cls(key, settings.audit_checkpoint_file, moderation_room(settings))


async def checkpoint(engine: AsyncEngine, setup: AuditCheckpoints) -> audit.Verdict:
    """Check the chain since the last checkpoint and sign its head if it grew. Raises
    CheckpointError (after the alarm) when the checkpoint file itself does not hold."""
    try:
        previous = read_checkpoint(setup.path, setup.key)
    except CheckpointError:
        async with unit_factory(engine)() as unit:
            await _tell(unit.session, setup, ALARM)
        raise
    async with unit_factory(engine)() as unit:
        verdict = await audit.verify(unit.session, setup.key, previous, resume=True)
        if verdict.problem == audit.Problem.unsealed and previous is None:
            # Rows from before the audit key, and none after: seal them now, as they are.
            await audit.seal(unit.session, setup.key)
            verdict = await audit.verify(unit.session, setup.key)
        if not verdict.intact:
            log.error("the audit log does not verify: %s", verdict.problem)
            await _tell(unit.session, setup, ALARM)
            return verdict
        head = verdict.head
        if head is None or (previous is not None and head.head_id == previous.head_id):
            return verdict
        await _tell(unit.session, setup, CHECKPOINT, count=str(head.entries),
                    hash=head.head_hash[:16])  # fmt: skip
    # Only once the head (and a seal, if any) is committed may the file name it.
    write_checkpoint(setup.path, head, setup.key)
    return verdict


async def _tell(
    session: AsyncSession, setup: AuditCheckpoints, message: str, **values: str
) -> None:
    if setup.room is None:
        return
    reply = bilingual(Catalogs(), message, **values)
    await enqueue(session, setup.room[0], setup.room[1], reply.to_json())
