"""Report receipts: 16 random digits, shown once, stored only as a keyed slow hash.

The hash is Argon2id with a deployment-wide secret salt (kept outside the
database), so a receipt can be looked up by its hash, and a stolen database
gives nothing to test guesses against without that secret.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from argon2.low_level import Type, hash_secret_raw

DIGITS = 16


def new_receipt() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(DIGITS))


def format_receipt(receipt: str) -> str:
    """ "1234567890123456" -> "1234 5678 9012 3456": easy to read and copy."""
    return " ".join(receipt[i : i + 4] for i in range(0, len(receipt), 4))


def parse_receipt(text: str) -> str | None:
    """The 16 digits of a typed receipt (spaces and dashes allowed), or None."""
    digits = "".join(c for c in text if not c.isspace() and c not in "-–—")
    if len(digits) != DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


@dataclass(frozen=True)
class ReceiptHasher:
    """Argon2id parameters; the defaults follow RFC 9106's second recommendation
    (64 MiB, 3 passes, 1 lane)."""

    salt: bytes
    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 1

    def __post_init__(self) -> None:
        if len(self.salt) < 16:
            raise ValueError("the receipt salt must be at least 16 bytes")

    def hash(self, receipt: str) -> bytes:
        return hash_secret_raw(
            receipt.encode(), self.salt, self.time_cost, self.memory_kib, self.parallelism,
            32, Type.ID,
        )  # fmt: skip


def same(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)
