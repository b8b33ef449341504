"""``candibot outbox status`` and ``candibot outbox retry --failed``."""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli.common import database_option, migrated
from bot.config import Settings
from storage import outbox
from storage.unit import unit_factory


def register(commands: Any) -> None:
    queue = commands.add_parser("outbox", help="messages waiting to be sent, and failed ones")
    queue_commands = queue.add_subparsers(dest="outbox_command", required=True)
    status = queue_commands.add_parser("status", help="waiting and failed, by platform and kind")
    database_option(status)
    status.set_defaults(run=status_command)
    retry = queue_commands.add_parser("retry", help="queue failed messages again")
    retry.add_argument("--failed", action="store_true", required=True)
    database_option(retry)
    retry.set_defaults(run=retry_command)


async def status_command(args: argparse.Namespace, settings: Settings) -> int:
    engine = await migrated(args.db or settings.database_url)
    try:
        async with unit_factory(engine)() as unit:
            counts = await outbox.status(unit.session)
            reasons = await outbox.failures(unit.session)
    finally:
        await engine.dispose()
    if not counts:
        print("the outbox is empty")
        return 0
    print(f"{'platform':10} {'kind':13} {'waiting':>8} {'failed':>8}")
    for row in counts:
        print(f"{row.platform:10} {row.kind:13} {row.waiting:8} {row.failed:8}")
    for platform, kind, reason in reasons:
        print(f"failed: {platform} {kind}: {reason}")
    return 0


async def retry_command(args: argparse.Namespace, settings: Settings) -> int:
    engine = await migrated(args.db or settings.database_url)
    try:
        async with unit_factory(engine)() as unit:
            count = await outbox.retry_failed(unit.session)
    finally:
        await engine.dispose()
    print(f"queued {count} failed messages again")
    return 0
