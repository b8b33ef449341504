"""Operators' chores: the moderators' report keys and the retention purge."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import load_report_keys, retention
from bot.audit_checkpoints import AuditCheckpoints, checkpoint
from bot.config import Settings
from bot.schedule import Every
from storage.crypto import KeyFileError, ModeratorKeys, generate, read_key_file, write_key_file
from storage.db import scrub
from storage.rekey import rekey
from storage.retention import Purged, purge
from storage.unit import unit_factory

log = logging.getLogger(__name__)

#: How often a running bot purges.
PURGE_EVERY = timedelta(hours=1)


class ChoreFailed(Exception):
    """A chore that cannot go on; the message says why, for the operator."""


def passphrase_from(variable: str | None) -> str | None:
    if not variable:
        return None
    value = os.environ.get(variable)
    if not value:
        raise ChoreFailed(f"the environment variable {variable} is empty or unset")
    return value


def generate_keys(path: Path, passphrase: str | None) -> ModeratorKeys:
    if path.exists():
        raise ChoreFailed(f"{path} exists already; `candibot keys rotate` replaces a key")
    private = generate()
    write_key_file(path, private, passphrase)
    return ModeratorKeys(private.public_key, private)


@dataclass(frozen=True)
class Rotation:
    count: int
    new_id: str
    retired: Path


async def rotate_keys(
    engine: AsyncEngine, settings: Settings, new_passphrase: str | None
) -> Rotation:
    """Re-encrypt every report under a fresh report key sealed to a fresh key pair, then
    put the new key file in place.

    The old file is kept beside it as ``.retired-<date>``: destroy it once the new
    key is backed up.
    """
    old = load_report_keys(settings)
    if old is None or old.private is None:
        raise ChoreFailed(
            "the current private key is needed: set CANDIBOT_REPORT_KEY_FILE "
            "(and CANDIBOT_REPORT_KEY_PASSPHRASE if it is locked)"
        )
    path = settings.report_key_file
    fresh = path.with_name(path.name + ".new")
    if fresh.exists():
        raise ChoreFailed(f"{fresh} exists: a rotation was interrupted; check it and remove it")
    private = generate()
    write_key_file(fresh, private, new_passphrase)
    new = read_key_file(fresh, new_passphrase)
    async with unit_factory(engine)() as unit:
        count = await rekey(unit.session, old, new)
    retired = path.with_name(f"{path.name}.retired-{datetime.now(UTC):%Y%m%d%H%M%S}")
    path.rename(retired)
    fresh.rename(path)
    return Rotation(count, new.id, retired)


async def purge_once(engine: AsyncEngine, settings: Settings) -> Purged:
    async with unit_factory(engine)() as unit:
        return await purge(unit.session, datetime.now(UTC), retention(settings))


class PurgeSchedule(Every):
    """The retention purge at start, then every hour, until stopped; each time the
    SQLite write-ahead log is folded away too, and with ``audit`` the audit log is
    checkpointed (not in the throwaway demo, whose chain must not replace a
    deployment's checkpoint)."""

    def __init__(
        self, engine: AsyncEngine, settings: Settings, audit: AuditCheckpoints | None = None
    ) -> None:
        super().__init__("purge", PURGE_EVERY, self._chores)
        self._engine = engine
        self._settings = settings
        self._audit = audit

    async def _chores(self) -> Purged:
        try:
            purged = await purge_once(self._engine, self._settings)
        finally:
            await scrub(self._engine)
            if self._audit is not None:
                try:
                    await checkpoint(self._engine, self._audit)
                except Exception as exc:  # CheckpointError included: the room was told
                    log.error("audit checkpoint failed: %s", type(exc).__name__)
        return purged


__all__ = ["ChoreFailed", "KeyFileError", "PurgeSchedule", "generate_keys", "purge_once"]
