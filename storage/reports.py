"""Incident reports: filing, looking up by receipt, follow-ups and flood counters.

Nothing stored here can identify the reporter (see storage.models, "Incident
reports"). Text and photos arrive in plaintext and leave encrypted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import ModeratorKeys, decrypt, encrypt
from storage.models import Report, ReportAttachment, ReportCounter, ReportMessage, ReportStatus
from storage.receipts import ReceiptHasher, same


@dataclass(frozen=True, slots=True)
class NewReport:
    category: str
    area_code: str | None
    happened: str
    description: str
    photos: tuple[tuple[str, bytes], ...]
    may_publish: bool


@dataclass(frozen=True, slots=True)
class Caps:
    per_hour: int = 3
    per_day: int = 10
    #: Across all senders; beyond it every new report waits in quarantine.
    global_per_day: int = 500


@dataclass(frozen=True, slots=True)
class MessageView:
    author: str
    text: str
    created_on: date


@dataclass(frozen=True, slots=True)
class ReportView:
    id: int
    status: str
    category: str
    created_on: date
    messages: tuple[MessageView, ...]


async def count_and_check(session: AsyncSession, sender: str, now: datetime, caps: Caps) -> bool:
    """Count one more report for ``sender`` (a daily pseudonym); False if over a cap."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    row = await session.get(ReportCounter, (sender, hour))
    if row is None:
        row = ReportCounter(sender=sender, hour=hour, count=0)
        session.add(row)
    row.count += 1
    await session.flush()
    last_hour = row.count
    today = await session.scalar(
        select(func.coalesce(func.sum(ReportCounter.count), 0)).where(
            ReportCounter.sender == sender, ReportCounter.hour > now - timedelta(days=1)
        )
    )
    everyone = await session.scalar(
        select(func.count()).select_from(Report).where(Report.created_on == now.date())
    )
    return (
        last_hour <= caps.per_hour
        and int(today or 0) <= caps.per_day
        and int(everyone or 0) < caps.global_per_day
    )


async def file_report(
    session: AsyncSession,
    report: NewReport,
    *,
    keys: ModeratorKeys,
    receipt_hash: bytes,
    today: date,
    quarantined: bool,
) -> int:
    report_key, sealed_key = keys.new_report_key()
    row = Report(
        category=report.category,
        area_code=report.area_code,
        happened=report.happened,
        created_on=today,
        status=ReportStatus.quarantined if quarantined else ReportStatus.new,
        may_publish=report.may_publish,
        sealed_key=sealed_key,
        key_id=keys.id,
        body=encrypt(report_key, report.description.encode()),
        receipt_hash=receipt_hash,
        receipt_used_on=today,
    )
    row.attachments = [
        ReportAttachment(media_type=media_type, data=encrypt(report_key, data))
        for media_type, data in report.photos
    ]
    session.add(row)
    await session.flush()
    return row.id


async def by_receipt(
    session: AsyncSession, receipt: str, hasher: ReceiptHasher, today: date
) -> Report | None:
    """The report with this receipt, marking the receipt as used today.

    The slow hash is computed whether or not the receipt exists, and the
    comparison is constant-time, so timing tells nothing.
    """
    wanted = hasher.hash(receipt)
    row = await session.scalar(select(Report).where(Report.receipt_hash == wanted))
    found = row is not None and row.receipt_hash is not None and same(row.receipt_hash, wanted)
    if not found or row is None:
        same(wanted, bytes(len(wanted)))  # the same work as a match
        return None
    row.receipt_used_on = today
    return row


async def view(session: AsyncSession, report: Report, keys: ModeratorKeys) -> ReportView:
    """The report as its reporter sees it in /status: state and the conversation."""
    messages = await session.scalars(
        select(ReportMessage).where(ReportMessage.report_id == report.id).order_by(ReportMessage.id)
    )
    items = list(messages)
    texts: list[MessageView] = []
    if items:
        report_key = keys.open_report_key(report.sealed_key)
        texts = [
            MessageView(m.author, decrypt(report_key, m.body).decode(), m.created_on) for m in items
        ]
    return ReportView(report.id, report.status, report.category, report.created_on, tuple(texts))


async def add_message(
    session: AsyncSession,
    report: Report,
    author: str,
    text: str,
    keys: ModeratorKeys,
    today: date,
) -> None:
    report_key = keys.open_report_key(report.sealed_key)
    session.add(
        ReportMessage(
            report_id=report.id,
            author=author,
            body=encrypt(report_key, text.encode()),
            created_on=today,
        )
    )
    await session.flush()


async def rewrap(session: AsyncSession, old: ModeratorKeys, new: ModeratorKeys) -> int:
    """Re-seal every report key from ``old`` to ``new``; the contents stay as they are."""
    count = 0
    rows = await session.scalars(select(Report).where(Report.key_id == old.id))
    for report in rows:
        report_key = old.open_report_key(report.sealed_key)
        report.sealed_key = new.seal_report_key(report_key)
        report.key_id = new.id
        count += 1
    await session.flush()
    return count
