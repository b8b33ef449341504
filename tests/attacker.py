"""An attacker who copies the server's disk while the bot runs, with every key on it.

Used by ``tests/test_seizure.py``. It reads files byte by byte (SQLite's main file,
``-wal``, ``-shm``, the key files, logs) and, on PostgreSQL, the raw pages of every
relation of the bot's schema through ``pageinspect``, dead tuples included. It then
tries to link a report to a sender: with the identity key it derives every pseudonym
the bot ever derived from it (also by formulas older releases used), for the last 30
days, and looks for each; it tries to open every sealed blob with every key it can
derive; and it looks for times finer than a day inside the windows when reports were
being written.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from nacl.exceptions import CryptoError
from nacl.secret import SecretBox
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.events import ChatRef, SenderRef
from bot.core.identity import Identity

PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass
class Seizure:
    """Everything copied at one moment: a name for each file or relation, and its bytes."""

    moment: str
    blobs: dict[str, bytes] = field(default_factory=dict)

    def find(self, needle: bytes) -> list[str]:
        return [name for name, blob in self.blobs.items() if needle in blob]


def copy_files(moment: str, paths: Iterable[Path]) -> Seizure:
    seizure = Seizure(moment)
    for path in paths:
        if path.is_file():
            seizure.blobs[str(path)] = path.read_bytes()
    return seizure


async def copy_postgres(moment: str, engine: AsyncEngine, schema: str) -> Seizure:
    """The raw pages of every table, index and TOAST table in ``schema``."""
    seizure = Seizure(moment)
    async with engine.connect() as connection:
        await connection.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect SCHEMA public"))
        await connection.commit()
        relations = (
            await connection.execute(
                text(
                    "SELECT c.oid::regclass::text FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = :schema AND c.relkind IN ('r', 'i') "
                    "UNION SELECT c.reltoastrelid::regclass::text FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = :schema AND c.reltoastrelid <> 0 "
                    "UNION SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_class c "
                    "ON c.oid = i.indrelid JOIN pg_class t ON t.reltoastrelid = c.oid "
                    "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = :schema"
                ),
                {"schema": schema},
            )
        ).scalars()
        for name in list(relations):
            blocks = await connection.scalar(
                text(
                    "SELECT pg_relation_size(CAST(:name AS regclass)) "
                    "/ current_setting('block_size')::int"
                ),
                {"name": name},
            )
            pages = []
            for block in range(int(blocks or 0)):
                page = await connection.scalar(
                    text("SELECT public.get_raw_page(:name, 'main', :block)"),
                    {"name": name, "block": block},
                )
                pages.append(bytes(page))
            seizure.blobs[f"pg:{name}"] = b"".join(pages)
    return seizure


# What the attacker derives --------------------------------------------------


def _hex_hmac(key: bytes, *parts: str) -> str:
    return hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def _old_daily(identity_key: bytes, day: date) -> bytes:
    # The formula releases before issue 11 used: every day's key came from the identity key.
    return hmac.new(identity_key, f"daily\x1f{day.isoformat()}".encode(), hashlib.sha256).digest()


def pseudonyms(identity_key: bytes, chat: ChatRef, sender: SenderRef, today: date) -> set[str]:
    """Every pseudonym of ``sender`` derivable from the identity key, for 30 days back."""
    identity = Identity(identity_key)
    found = {identity.user_key(sender), identity.conversation_key(chat, sender)}
    for back in range(31):
        daily = _old_daily(identity_key, today - timedelta(days=back))
        found.add(_hex_hmac(daily, "private", chat.platform, chat.id, sender.id))
        found.add(_hex_hmac(daily, "sender", sender.platform, sender.id))
    # Shorter prefixes too: an audit row once named users by the first 16 digits.
    return found | {p[:16] for p in found}


def sealing_keys(identity_key: bytes, today: date) -> list[bytes]:
    return [
        hmac.new(
            _old_daily(identity_key, today - timedelta(days=back)), b"seal", hashlib.sha256
        ).digest()
        for back in range(31)
    ]


_BASE64 = re.compile(rb"[A-Za-z0-9+/]{60,}={0,2}")


def opened_drafts(blob: bytes, keys: list[bytes]) -> list[bytes]:
    """Every base64 run in ``blob`` that one of ``keys`` opens as a secretbox."""
    opened = []
    for match in _BASE64.finditer(blob):
        try:
            sealed = base64.b64decode(match.group(0))
        except ValueError:
            continue
        for key in keys:
            try:
                opened.append(SecretBox(key).decrypt(sealed))
            except (CryptoError, ValueError):
                continue
    return opened


def time_marks(start: datetime, end: datetime) -> list[bytes]:
    """Every second between ``start`` and ``end`` as text (SQLite's and ISO's forms)."""
    marks: list[bytes] = []
    second = start.astimezone(UTC).replace(microsecond=0)
    while second <= end:
        for form in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
            marks.append(second.strftime(form).encode())
        second += timedelta(seconds=1)
    return marks


def pg_timestamps_within(blob: bytes, start: datetime, end: datetime) -> int:
    """How many 8-byte little-endian PostgreSQL timestamps in ``blob`` fall in the window."""
    low = int((start - PG_EPOCH).total_seconds() * 1_000_000)
    high = int((end - PG_EPOCH).total_seconds() * 1_000_000)
    count = 0
    for offset in range(0, len(blob) - 7, 8):  # timestamps are 8-byte aligned in a page
        (value,) = struct.unpack_from("<q", blob, offset)
        if low <= value <= high:
            count += 1
    return count
