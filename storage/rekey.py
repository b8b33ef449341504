"""Rotating the moderators' key pair: every report is re-encrypted under a fresh key.

Re-sealing each report's old key to the new pair is not enough: the old report key
would stay in use, so a copy of the database from before the rotation plus the old
(leaked) private key would open the report's body, photos and every follow-up written
after the rotation. Here each report gets a new random report key, sealed to the new
pair, and everything encrypted under the old report key is re-encrypted under it.

Rows are read and written a batch at a time (keyset pagination, bulk updates by
primary key, nothing kept in the session), so memory stays bounded however many
reports and photos there are. It all happens in the caller's transaction: a rotation
that fails leaves every report as it was.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import ModeratorKeys, decrypt, encrypt
from storage.models import Report, ReportAttachment, ReportMessage

#: Reports re-keyed per batch; their old and new keys are held until the batch ends.
REPORTS_PER_BATCH = 100
#: Photos and messages re-encrypted per batch: photos run to megabytes each.
ROWS_PER_BATCH = 20

#: What else is encrypted with a report's key: photos and follow-ups, and their column.
_ENCRYPTED: dict[type[ReportAttachment | ReportMessage], str] = {
    ReportAttachment: "data",
    ReportMessage: "body",
}

#: Each report's (old report key, new report key), by report id.
KeyPairs = Mapping[int, tuple[bytes, bytes]]


def _reencrypt(keys: tuple[bytes, bytes], ciphertext: bytes) -> bytes:
    old_key, new_key = keys
    return encrypt(new_key, decrypt(old_key, ciphertext))


async def rekey(
    session: AsyncSession,
    old: ModeratorKeys,
    new: ModeratorKeys,
    *,
    batch: int = REPORTS_PER_BATCH,
) -> int:
    """Give every report sealed to ``old`` a fresh report key sealed to ``new``, and
    re-encrypt its body, attachments and messages; returns how many reports."""
    count, after = 0, 0
    while True:
        keys = await _rekey_reports(session, old, new, after, batch)
        if not keys:
            return count
        for model in _ENCRYPTED:
            await _reencrypt_rows(session, model, keys)
        count += len(keys)
        after = max(keys)


async def _rekey_reports(
    session: AsyncSession, old: ModeratorKeys, new: ModeratorKeys, after: int, batch: int
) -> dict[int, tuple[bytes, bytes]]:
    """The next ``batch`` reports after id ``after``: new keys and re-encrypted bodies."""
    rows = await session.execute(
        select(Report.id, Report.sealed_key, Report.body)
        .where(Report.key_id == old.id, Report.id > after)
        .order_by(Report.id)
        .limit(batch)
    )
    keys: dict[int, tuple[bytes, bytes]] = {}
    changes = []
    for report_id, sealed_key, body in rows:
        new_key, new_sealed_key = new.new_report_key()
        keys[report_id] = (old.open_report_key(sealed_key), new_key)
        changes.append(
            {
                "id": report_id,
                "sealed_key": new_sealed_key,
                "key_id": new.id,
                "body": _reencrypt(keys[report_id], body),
            }
        )
    if changes:
        await session.execute(update(Report), changes)
    return keys


async def _reencrypt_rows(
    session: AsyncSession, model: type[ReportAttachment | ReportMessage], keys: KeyPairs
) -> None:
    """Re-encrypt the batch's rows of ``model`` (photos or messages), a few at a time."""
    table = model.__table__
    field = _ENCRYPTED[model]
    after = 0
    while True:
        rows = list(
            await session.execute(
                select(table.c.id, table.c.report_id, table.c[field])
                .where(table.c.report_id.in_(list(keys)), table.c.id > after)
                .order_by(table.c.id)
                .limit(ROWS_PER_BATCH)
            )
        )
        if not rows:
            return
        changes = [
            {"id": row_id, field: _reencrypt(keys[report_id], ciphertext)}
            for row_id, report_id, ciphertext in rows
        ]
        await session.execute(update(model), changes)
        after = rows[-1][0]
