"""Encryption at rest for incident reports.

Each report has a random key (XSalsa20-Poly1305 secretbox) that encrypts its
text, photos and follow-ups. That key is stored only sealed to the moderators'
X25519 public key (libsodium sealed box), so the database alone, or a backup of
it, opens nothing. The private key lives in a file outside the database,
optionally locked with a passphrase (Argon2id), and only the bot process and
`candibot keys` read it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from hashlib import blake2b
from pathlib import Path

from nacl import pwhash
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.secret import SecretBox
from nacl.utils import random

REPORT_KEY_BYTES = SecretBox.KEY_SIZE


class KeyFileError(Exception):
    """A key file that cannot be read: wrong passphrase, damaged, or missing."""


def key_id(public: PublicKey) -> str:
    """A short fingerprint naming which key sealed a report."""
    return blake2b(bytes(public), digest_size=8).hexdigest()


@dataclass(frozen=True)
class ModeratorKeys:
    """The moderators' key pair as the bot holds it; ``private`` may be absent, and then
    the bot can file reports but not read them back."""

    public: PublicKey
    private: PrivateKey | None = None

    @property
    def id(self) -> str:
        return key_id(self.public)

    def new_report_key(self) -> tuple[bytes, bytes]:
        """A fresh report key and its sealed form for storage."""
        report_key = random(REPORT_KEY_BYTES)
        return report_key, self.seal_report_key(report_key)

    def seal_report_key(self, report_key: bytes) -> bytes:
        return bytes(SealedBox(self.public).encrypt(report_key))

    def open_report_key(self, sealed: bytes) -> bytes:
        if self.private is None:
            raise KeyFileError("the moderators' private key is not loaded")
        try:
            return bytes(SealedBox(self.private).decrypt(sealed))
        except CryptoError as exc:
            raise KeyFileError("this key did not seal that report") from exc


def encrypt(report_key: bytes, plaintext: bytes) -> bytes:
    return bytes(SecretBox(report_key).encrypt(plaintext))


def decrypt(report_key: bytes, ciphertext: bytes) -> bytes:
    return bytes(SecretBox(report_key).decrypt(ciphertext))


# Key files -----------------------------------------------------------------


def generate() -> PrivateKey:
    return PrivateKey.generate()


def write_key_file(path: Path, private: PrivateKey, passphrase: str | None = None) -> None:
    """Write a key file (mode 0600) that refuses to overwrite an existing one."""
    record: dict[str, object] = {"version": 1, "public": bytes(private.public_key).hex()}
    if passphrase:
        salt = random(pwhash.argon2id.SALTBYTES)
        ops, mem = pwhash.argon2id.OPSLIMIT_MODERATE, pwhash.argon2id.MEMLIMIT_MODERATE
        lock = pwhash.argon2id.kdf(SecretBox.KEY_SIZE, passphrase.encode(), salt, ops, mem)
        record["private_locked"] = {
            "kdf": "argon2id", "salt": salt.hex(), "ops": ops, "mem": mem,
            "box": bytes(SecretBox(lock).encrypt(bytes(private))).hex(),
        }  # fmt: skip
    else:
        record["private"] = bytes(private).hex()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as fh:
        json.dump(record, fh, indent=2)
        fh.write("\n")


def read_key_file(path: Path, passphrase: str | None = None) -> ModeratorKeys:
    """The key pair from ``path``; without the passphrase a locked file gives the public
    key only."""
    try:
        record = json.loads(path.read_text())
        public = PublicKey(bytes.fromhex(record["public"]))
    except (OSError, ValueError, KeyError) as exc:
        raise KeyFileError(f"cannot read the key file {path}") from exc
    if "private" in record:
        private = PrivateKey(bytes.fromhex(record["private"]))
    elif "private_locked" in record and passphrase:
        locked = record["private_locked"]
        lock = pwhash.argon2id.kdf(
            SecretBox.KEY_SIZE, passphrase.encode(), bytes.fromhex(locked["salt"]),
            locked["ops"], locked["mem"],
        )  # fmt: skip
        try:
            private = PrivateKey(SecretBox(lock).decrypt(bytes.fromhex(locked["box"])))
        except CryptoError as exc:
            raise KeyFileError("wrong passphrase for the key file") from exc
    else:
        return ModeratorKeys(public)
    if bytes(private.public_key) != bytes(public):
        raise KeyFileError("the key file's public and private keys do not match")
    return ModeratorKeys(public, private)
