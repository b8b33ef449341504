"""`candibot keys rotate` on SQLite and PostgreSQL: every report gets a fresh report key,
so the old moderators' key, even with a copy of the database from before the rotation,
opens nothing written since, and the database after it opens nothing with the old key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from nacl.exceptions import CryptoError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

import storage.rekey
from bot.config import Settings
from bot.maintenance import rotate_keys
from storage.crypto import (
    KeyFileError,
    ModeratorKeys,
    decrypt,
    generate,
    read_key_file,
    write_key_file,
)
from storage.models import Report, ReportAttachment, ReportMessage
from storage.rekey import rekey
from storage.reports import NewReport, add_message, file_report
from storage.unit import unit_factory

TODAY = date(2026, 11, 28)
PHOTO = b"\xff\xd8 not really a jpeg \xff\xd9"


def _report(number: int) -> NewReport:
    return NewReport(
        category="threatening_calls",
        area_code=None,
        happened="this_week",
        description=f"report {number}: a call at night",
        photos=(("image/jpeg", PHOTO + bytes([number])),),
        may_publish=False,
    )


async def _file(engine: AsyncEngine, keys: ModeratorKeys, count: int, first: int = 0) -> list[int]:
    """Reports numbered ``first`` on, each with a photo and a follow-up from the reporter."""
    ids = []
    async with unit_factory(engine)() as unit:
        for number in range(first, first + count):
            report_id = await file_report(
                unit.session,
                _report(number),
                keys=keys,
                receipt_hash=bytes([number]) * 32,
                today=TODAY,
                quarantined=False,
            )
            report = await unit.session.get(Report, report_id)
            assert report is not None
            await add_message(unit.session, report, "reporter", f"more on {number}", keys, TODAY)
            ids.append(report_id)
    return ids


@dataclass
class Contents:
    """Every ciphertext of one report as the database holds it at one moment."""

    sealed_key: bytes
    key_id: str
    body: bytes
    attachments: list[bytes]
    messages: list[bytes]

    def ciphertexts(self) -> list[bytes]:
        return [self.body, *self.attachments, *self.messages]


async def _contents(engine: AsyncEngine) -> dict[int, Contents]:
    """A copy of the database's reports, as a backup taken now would hold them."""
    async with engine.connect() as connection:
        reports = await connection.execute(
            select(Report.id, Report.sealed_key, Report.key_id, Report.body)
        )
        found = {i: Contents(s, k, b, [], []) for i, s, k, b in reports}
        for report_id, data in await connection.execute(
            select(ReportAttachment.report_id, ReportAttachment.data).order_by(ReportAttachment.id)
        ):
            found[report_id].attachments.append(data)
        for report_id, body in await connection.execute(
            select(ReportMessage.report_id, ReportMessage.body).order_by(ReportMessage.id)
        ):
            found[report_id].messages.append(body)
    return found


def _opens(report_key: bytes, ciphertext: bytes) -> bool:
    try:
        decrypt(report_key, ciphertext)
    except CryptoError:
        return False
    return True


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> Settings:
    monkeypatch.setenv("CANDIBOT_CONFIG", str(tmp_path / "absent.toml"))
    path = tmp_path / "keys" / "report.key"
    write_key_file(path, generate())
    return Settings(database_url=db_url, report_key_file=path)


async def test_rotated_report_opens_with_new_key_only(
    engine: AsyncEngine, settings: Settings
) -> None:
    old = read_key_file(settings.report_key_file)
    ids = await _file(engine, old, 3)
    before = await _contents(engine)  # the leaked backup

    rotation = await rotate_keys(engine, settings, None)
    assert rotation.count == 3
    new = read_key_file(settings.report_key_file)
    assert read_key_file(rotation.retired).id == old.id != new.id
    async with unit_factory(engine)() as unit:  # a follow-up written after the rotation
        report = await unit.session.get(Report, ids[0])
        assert report is not None
        await add_message(unit.session, report, "moderators", "who called?", new, TODAY)
    after = await _contents(engine)

    for number, report_id in enumerate(ids):
        old_report_key = old.open_report_key(before[report_id].sealed_key)
        now = after[report_id]
        assert now.key_id == new.id
        assert not any(_opens(old_report_key, c) for c in now.ciphertexts())
        with pytest.raises(KeyFileError):
            old.open_report_key(now.sealed_key)
        new_report_key = new.open_report_key(now.sealed_key)
        assert decrypt(new_report_key, now.body) == f"report {number}: a call at night".encode()
        assert [decrypt(new_report_key, a) for a in now.attachments] == [PHOTO + bytes([number])]
        expected = [f"more on {number}".encode()]
        if number == 0:
            expected.append(b"who called?")
        assert [decrypt(new_report_key, m) for m in now.messages] == expected


async def test_rekey_goes_through_every_batch_and_only_the_old_keys_reports(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage.rekey, "ROWS_PER_BATCH", 1)  # a photo or message at a time
    old, new, other = (ModeratorKeys(p.public_key, p) for p in (generate(), generate(), generate()))
    await _file(engine, old, 5)
    untouched = await _file(engine, other, 1, first=5)
    before = await _contents(engine)
    async with unit_factory(engine)() as unit:
        assert await rekey(unit.session, old, new, batch=2) == 5
    after = await _contents(engine)
    assert after[untouched[0]] == before[untouched[0]]
    rekeyed = [i for i in after if i not in untouched]
    assert len(rekeyed) == 5
    for report_id in rekeyed:
        assert after[report_id].key_id == new.id
        report_key = new.open_report_key(after[report_id].sealed_key)
        assert all(_opens(report_key, c) for c in after[report_id].ciphertexts())
