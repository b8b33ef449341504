"""Photos of the election committees' notices (公告), the sources of candidacies entered
in chat. They are public: a notice is posted for everyone to read. Each is kept once,
named by the SHA-256 of its re-encoded bytes (``storage.images.sanitize`` has already
dropped every piece of metadata), and a candidacy's source names it as ``photo:<sha256>``.
"""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Candidacy, Election, ListChange, Moderation, NoticePhoto

PHOTO_PREFIX = "photo:"
_SHA256 = re.compile(r"[0-9a-f]{64}")


def photo_source(sha256: str) -> str:
    """The source text that names a notice photo."""
    return PHOTO_PREFIX + sha256


def photo_sha(source: str) -> str | None:
    """The photo a source names, or None when it is a link or other words."""
    if not source.startswith(PHOTO_PREFIX):
        return None
    sha = source[len(PHOTO_PREFIX) :]
    return sha if _SHA256.fullmatch(sha) else None


async def keep_photo(session: AsyncSession, media_type: str, data: bytes) -> str:
    """Store a metadata-free photo unless the same bytes are stored already; its SHA-256."""
    sha = hashlib.sha256(data).hexdigest()
    if await session.scalar(select(NoticePhoto.id).where(NoticePhoto.sha256 == sha)) is None:
        session.add(NoticePhoto(sha256=sha, media_type=media_type, data=data))
        await session.flush()
    return sha


async def notice_photo(session: AsyncSession, sha256: str) -> NoticePhoto | None:
    found: NoticePhoto | None = await session.scalar(
        select(NoticePhoto).where(NoticePhoto.sha256 == sha256)
    )
    return found


async def forget_if_unused(session: AsyncSession, source: str) -> bool:
    """Delete the photo ``source`` names once nothing shows it or may still: no candidacy
    or election names it, and no change waiting for approval does (a rejected change's
    photo goes)."""
    sha = photo_sha(source)
    if sha is None:
        return False
    for named in (
        select(Candidacy.id).where(Candidacy.source == source),
        select(Election.id).where(Election.source == source),
        select(ListChange.id).where(
            ListChange.source == source, ListChange.status == Moderation.pending
        ),
    ):
        if await session.scalar(named.limit(1)) is not None:
            return False
    await session.execute(delete(NoticePhoto).where(NoticePhoto.sha256 == sha))
    return True
