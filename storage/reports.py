"""Incident reports: filing, looking up by receipt, follow-ups and flood counters.

Nothing stored here can identify the reporter (see storage.models, "Incident
reports"). Text and photos arrive in plaintext and leave encrypted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import ModeratorKeys, decrypt, encrypt
from storage.models import Report, ReportAttachment, ReportMessage, ReportStatus
from storage.receipts import same


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


async def filed_on(session: AsyncSession, day: date) -> int:
    """Reports filed on ``day`` by everyone: for the global flood cap."""
    count = await session.scalar(
        select(func.count()).select_from(Report).where(Report.created_on == day)
    )
    return int(count or 0)


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


async def by_receipt(session: AsyncSession, wanted: bytes, today: date) -> Report | None:
    """The report whose receipt hashes to ``wanted``, marking the receipt as used today.

    The caller computed the slow hash whether or not the receipt exists, and the
    comparison is constant-time, so timing tells nothing.
    """
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
