"""Issue 11, finding 11, inside the bot: the keyed chain, signed checkpoints written by the
running bot and announced in the moderators' room, /audit comparing the chain with the
last checkpoint, and rows from before the audit key."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from bot.app import App
from bot.audit_checkpoints import AuditCheckpoints, checkpoint
from bot.config import Settings
from bot.core.replies import Reply
from bot.maintenance import PurgeSchedule
from storage import audit
from storage.audit_checkpoint import CheckpointError, read_checkpoint
from storage.models import AuditEntry, OutboxMessage
from storage.unit import unit_factory
from tests.helpers import texts
from tests.staffed import ALICE, CAROL, ROOM, attached, staff_policy, staffed_app
from tests.test_audit_tamper_cli import plain_sha256

KEY = audit.AuditKey(bytes(range(64, 96)))


@pytest.fixture
def signing(tmp_path: Path) -> AuditCheckpoints:
    return AuditCheckpoints(KEY, tmp_path / "var" / "audit.checkpoint", ROOM)


async def _app(db_url: str, signing: AuditCheckpoints) -> App:
    return await staffed_app(db_url, staff_policy(audit_key=KEY, audit_checkpoint=signing.path))


async def _room_messages(app: App) -> list[str]:
    async with app.engine.connect() as connection:
        bodies = list(await connection.scalars(select(OutboxMessage.body)))
    return [Reply.from_json(body).text.plain for body in bodies]


async def test_the_bot_signs_a_checkpoint_and_announces_it_in_both_languages(
    db_url: str, signing: AuditCheckpoints
) -> None:
    app = await _app(db_url, signing)
    chat = attached(app)
    await chat.say("/verify 1", user=ALICE)
    await chat.say("/verify 2", user=ALICE)
    verdict = await checkpoint(app.engine, signing)
    assert verdict.intact and verdict.entries == 2
    mark = read_checkpoint(signing.path, KEY)
    assert mark is not None and mark.entries == 2
    assert signing.path.stat().st_mode & 0o777 == 0o600
    announced = await _room_messages(app)
    assert len(announced) == 1
    assert "Audit log checkpoint: 2 entries" in announced[0]
    assert "审计日志检查点：共 2 条记录" in announced[0]
    assert mark.head_hash[:16] in announced[0]
    await checkpoint(app.engine, signing)
    assert len(await _room_messages(app)) == 1, "nothing new, nothing announced"
    await app.close()


async def test_deleting_the_newest_rows_after_a_checkpoint_shows_in_chat_and_in_the_room(
    db_url: str, signing: AuditCheckpoints
) -> None:
    app = await _app(db_url, signing)
    chat = attached(app)
    for number in (1, 2, 3):
        await chat.say(f"/verify {number}", user=ALICE)
    await checkpoint(app.engine, signing)
    signed = signing.path.read_text()
    async with unit_factory(app.engine)() as unit:
        await unit.session.execute(delete(AuditEntry).where(AuditEntry.id >= 2))
    shown = texts(await chat.say("/audit", user=CAROL))
    assert "entries were deleted" in shown
    verdict = await checkpoint(app.engine, signing)
    assert verdict.problem == audit.Problem.deleted
    assert signing.path.read_text() == signed, "no checkpoint blesses the damage"
    assert any("failed its check" in body for body in await _room_messages(app))
    # New rows after the deletion reuse the ids on SQLite: still not the signed ones.
    for number in (4, 5):
        await chat.say(f"/verify {number}", user=ALICE)
    async with unit_factory(app.engine)() as unit:
        assert not (
            await audit.verify(unit.session, KEY, read_checkpoint(signing.path, KEY))
        ).intact
    await app.close()


async def test_a_checkpoint_with_a_bad_signature_is_rejected(
    db_url: str, signing: AuditCheckpoints
) -> None:
    app = await _app(db_url, signing)
    chat = attached(app)
    await chat.say("/verify 1", user=ALICE)
    await checkpoint(app.engine, signing)
    with pytest.raises(CheckpointError):  # signed, but not under this deployment's key
        read_checkpoint(signing.path, audit.AuditKey(b"k" * 32))
    body = json.loads(signing.path.read_text())
    body["entries"] = 0
    signing.path.write_text(json.dumps(body))
    with pytest.raises(CheckpointError):
        read_checkpoint(signing.path, KEY)
    with pytest.raises(CheckpointError):
        await checkpoint(app.engine, signing)
    assert any("failed its check" in body for body in await _room_messages(app))
    assert "does not verify" in texts(await chat.say("/audit", user=CAROL))
    await app.close()


async def test_legacy_rows_are_sealed_once_and_cannot_be_rewritten_after(
    db_url: str, signing: AuditCheckpoints
) -> None:
    app = await _app(db_url, signing)
    async with unit_factory(app.engine)() as unit:  # two rows as the old code wrote them
        previous = audit.GENESIS
        for number in (1, 2):
            at = datetime(2026, 1, number, tzinfo=UTC)
            row = AuditEntry(at=at, actor="telegram:1", action="trust", target_type="candidacy",
                             target_id=str(number), detail={}, prev_hash=previous)  # fmt: skip
            row.entry_hash = previous = plain_sha256(previous, row)
            unit.session.add(row)
            await unit.session.flush()
    async with unit_factory(app.engine)() as unit:
        assert (await audit.verify(unit.session, KEY)).problem == audit.Problem.unsealed
    verdict = await checkpoint(app.engine, signing)
    assert verdict.intact and (verdict.entries, verdict.legacy) == (3, 2)
    async with unit_factory(app.engine)() as unit:
        sealed = await unit.session.get_one(AuditEntry, 3)
        assert (sealed.actor, sealed.action, sealed.detail) == (
            "system", "audit_keyed", {"legacy_entries": 2},
        )  # fmt: skip
    # Rewriting a legacy row, even recomputing the plain hashes after it, breaks the seal.
    async with unit_factory(app.engine)() as unit:
        first = await unit.session.get_one(AuditEntry, 1)
        first.actor = "telegram:666"
        first.entry_hash = plain_sha256(audit.GENESIS, first)
        await unit.session.flush()
        second = await unit.session.get_one(AuditEntry, 2)
        second.prev_hash = first.entry_hash
        second.entry_hash = plain_sha256(first.entry_hash, second)
    async with unit_factory(app.engine)() as unit:
        broken = await audit.verify(unit.session, KEY)
    assert (broken.problem, broken.first_broken) == (audit.Problem.broken, 3)
    await app.close()


async def test_a_row_rewritten_under_another_key_is_caught(
    db_url: str, signing: AuditCheckpoints
) -> None:
    app = await _app(db_url, signing)
    chat = attached(app)
    await chat.say("/verify 1", user=ALICE)
    await chat.say("/verify 2", user=ALICE)
    async with unit_factory(app.engine)() as unit:
        await unit.session.execute(
            update(AuditEntry).where(AuditEntry.id == 2).values(actor="memory:somebody-else")
        )
    assert "broken at entry 2" in texts(await chat.say("/audit", user=CAROL))
    await app.close()


async def test_the_running_bot_checkpoints_at_start(db_url: str, signing: AuditCheckpoints) -> None:
    app = await _app(db_url, signing)
    chat = attached(app)
    await chat.say("/verify 1", user=ALICE)
    schedule = PurgeSchedule(app.engine, Settings(), signing)
    await schedule.start()
    await schedule.stop()
    mark = read_checkpoint(signing.path, KEY)
    assert mark is not None and mark.entries == 1
    await app.close()
