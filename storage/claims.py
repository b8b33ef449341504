"""One-time claim codes: how a verified candidate's own account claims their profile."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CandidateAccount, ClaimCode
from storage.roles import link_candidate_account

#: No 0/O, 1/I/L: codes are read aloud and typed on phones.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 10


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def normalize(typed: str) -> str:
    return "".join(c for c in typed.upper() if c.isalnum())


def show(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


async def issue(
    session: AsyncSession, candidacy_id: int, moderator: str, now: datetime, valid: timedelta
) -> tuple[str, datetime]:
    """A new code for the candidacy; only its hash is stored."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    expires = now + valid
    session.add(
        ClaimCode(
            candidacy_id=candidacy_id, code_hash=_hash(code), issued_by=moderator,
            expires_at=expires,
        )
    )  # fmt: skip
    await session.flush()
    return code, expires


async def redeem(
    session: AsyncSession, typed: str, platform: str, user_id: str, now: datetime
) -> int | None:
    """The candidacy the code claims for this account, or None: wrong, used or expired.
    A code works once."""
    row = await session.scalar(
        select(ClaimCode).where(ClaimCode.code_hash == _hash(normalize(typed))).with_for_update()
    )
    if row is None or row.used_at is not None or row.expires_at < now:
        return None
    row.used_at = now
    await link_candidate_account(session, row.candidacy_id, platform, user_id)
    await session.flush()
    return row.candidacy_id


async def burn(session: AsyncSession, typed: str, now: datetime) -> bool:
    """Use up a code without claiming anything (it was seen where others read); True if
    it was still unused."""
    result = await session.execute(
        update(ClaimCode)
        .where(ClaimCode.code_hash == _hash(normalize(typed)), ClaimCode.used_at.is_(None))
        .values(used_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


async def revoke(session: AsyncSession, candidacy_id: int, now: datetime) -> int:
    result = await session.execute(
        update(CandidateAccount)
        .where(CandidateAccount.candidacy_id == candidacy_id, CandidateAccount.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)
