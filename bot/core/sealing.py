"""Sealed storage for private flows: authenticated encryption with a daily key."""

from __future__ import annotations

import base64
import json
from typing import Any

from nacl.exceptions import CryptoError
from nacl.secret import SecretBox


def seal(key: bytes, value: Any) -> str:
    plaintext = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.b64encode(bytes(SecretBox(key).encrypt(plaintext))).decode()


def unseal(key: bytes, sealed: str) -> Any | None:
    """The value, or None when the key does not open it (another day's key, tampering)."""
    try:
        return json.loads(SecretBox(key).decrypt(base64.b64decode(sealed)))
    except (CryptoError, ValueError):
        return None
