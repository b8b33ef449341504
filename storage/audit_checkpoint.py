"""Signed checkpoints of the audit chain's head, in a file outside the database.

A chain whose newest rows were deleted still holds link by link; only a record of a
longer chain, kept where the database's writer cannot reach, shows the loss. The file
holds the entry count, the head's id and hash and the time, with an HMAC under the
audit key (its own purpose, so no row MAC passes for it). It is replaced atomically
(a temporary file, then a rename), so a reader never sees half of one.
"""

from __future__ import annotations

import hmac
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from storage.audit import AuditKey, Checkpoint

VERSION = 1
_PURPOSE = "audit-checkpoint"


class CheckpointError(Exception):
    """The checkpoint file is unreadable or its signature does not hold."""


def _fields(checkpoint: Checkpoint) -> dict[str, Any]:
    return {
        "v": VERSION,
        "entries": checkpoint.entries,
        "head_id": checkpoint.head_id,
        "head_hash": checkpoint.head_hash,
        "at": checkpoint.at.isoformat(),
    }


def _mac(key: AuditKey, fields: dict[str, Any]) -> str:
    return key.mac(_PURPOSE, json.dumps(fields, sort_keys=True, separators=(",", ":")).encode())


def write_checkpoint(path: Path, checkpoint: Checkpoint, key: AuditKey) -> None:
    fields = _fields(checkpoint)
    body = json.dumps({**fields, "mac": _mac(key, fields)}, sort_keys=True) + "\n"
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Per process, so that two bots writing at once never share a temporary file.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as fh:
        fh.write(body)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(temporary, path)


def read_checkpoint(path: Path, key: AuditKey) -> Checkpoint | None:
    """The last checkpoint, or None if none was written yet."""
    try:
        body = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{path} cannot be read: {type(exc).__name__}") from exc
    try:
        fields = {name: body[name] for name in ("v", "entries", "head_id", "head_hash", "at")}
        signature = str(body["mac"])
    except (KeyError, TypeError) as exc:
        raise CheckpointError(f"{path} is not a checkpoint") from exc
    if not hmac.compare_digest(_mac(key, fields), signature):
        raise CheckpointError(f"the signature of {path} does not hold (altered, or another key)")
    return Checkpoint(
        entries=int(fields["entries"]),
        head_id=int(fields["head_id"]),
        head_hash=str(fields["head_hash"]),
        at=datetime.fromisoformat(str(fields["at"])),
    )
