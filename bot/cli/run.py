"""``candibot run``: every configured adapter, on the configured database, until stopped.

Each adapter package offers ``from_environment(app) -> Adapter | None``: None when
its settings are absent (Telegram: no token; Matrix: no homeserver).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import signal
import sys
from collections.abc import Callable
from typing import Any

from bot.adapters.base import Adapter
from bot.app import App, app_from_settings, load_report_keys
from bot.cli.common import uses_database
from bot.config import Settings, load_identity_key

log = logging.getLogger(__name__)

AdapterFactory = Callable[[App], Adapter | None]


def register(commands: Any) -> None:
    run = commands.add_parser("run", help="run every configured adapter (Telegram, Matrix, web)")
    run.set_defaults(run=run_command)
    uses_database(run)


def adapter_factories() -> list[AdapterFactory]:
    """The adapters this installation has; each decides from its own settings."""
    factories: list[AdapterFactory] = []
    from bot.adapters.telegram import from_environment as telegram

    factories.append(telegram)
    from bot.adapters.matrix import from_environment as matrix

    factories.append(lambda app: matrix(app.cursors))
    from bot.adapters.web import from_environment as web_chat

    factories.append(web_chat)
    return factories


def keeping_to_itself(settings: Settings) -> str | None:
    """A warning for a worker on PostgreSQL that takes webhooks (so may be one of several
    behind a proxy) but shares neither drafts nor Telegram's limits: without a Redis,
    each worker would send its own 30 messages a second."""
    from bot.adapters.telegram import TelegramSettings

    shared = settings.rate_budget_url or settings.ephemeral_url
    on_postgres = settings.database_url.startswith("postgresql")
    if shared or not on_postgres or TelegramSettings().webhook_url is None:
        return None
    return (
        "candibot: warning: this worker keeps Telegram's rate limits and report drafts to "
        "itself; if other workers share this database, set CANDIBOT_EPHEMERAL_URL to one "
        'Redis for all of them (docs/TELEGRAM.md, "Several workers")'
    )


def _settle_heap() -> None:
    """What start-up loaded (modules, ORM mappers, pypinyin's dictionaries, catalogs)
    lives as long as the process: freeze it out of the cyclic garbage collector, whose
    full passes would otherwise walk it again and again (gc.freeze; about a tenth of
    the bot's time in the Telegram benchmark)."""
    gc.collect()
    gc.freeze()


async def run_command(args: argparse.Namespace, settings: Settings) -> int:
    from bot.audit_checkpoints import AuditCheckpoints
    from bot.delivery import OutboxPump
    from bot.digest import digest_schedule
    from bot.maintenance import PurgeSchedule
    from bot.observability import Observability
    from bot.reminders import reminder_schedule
    from bot.schedule import Every

    identity_key = load_identity_key(settings)  # a bad key stops the bot before any file is made
    audit = AuditCheckpoints.from_settings(settings)
    observed = Observability.from_settings(settings)  # /healthz, /metrics
    app = await app_from_settings(
        settings, identity_key, load_report_keys(settings), audit_key=audit.key,
        metrics=observed.metrics,
    )  # fmt: skip
    try:
        adapters = [a for a in (factory(app) for factory in adapter_factories()) if a]
        if not adapters:
            print(
                "candibot: no adapter is configured: set CANDIBOT_TELEGRAM_TOKEN, "
                "CANDIBOT_MATRIX_HOMESERVER and CANDIBOT_MATRIX_USER, or CANDIBOT_WEB_LISTEN",
                file=sys.stderr,
            )
            return 2
        alone = keeping_to_itself(settings)
        if alone:
            print(alone, file=sys.stderr)
        if (settings.moderation_room or "").startswith("telegram:"):
            print(
                "candibot: warning: the moderators' room is a Telegram group, which Telegram "
                "can read; an end-to-end encrypted Matrix room is safer (docs/THREAT_MODEL.md)",
                file=sys.stderr,
            )
        await observed.start(app.engine, adapters)
        schedules: list[Every] = [PurgeSchedule(app.engine, settings, audit)]
        schedules += [s for s in [digest_schedule(app.engine, settings)] if s]
        schedules.append(reminder_schedule(app.engine, settings))
        for schedule in schedules:
            await schedule.start()
        pumps = [
            OutboxPump(app.engine, adapter, attempts=settings.outbox_attempts)
            for adapter in adapters
        ]
        for pump in pumps:
            pump.start()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(
                    signum, lambda: [loop.create_task(a.stop()) for a in adapters]
                )
        _settle_heap()
        try:
            await asyncio.gather(*(adapter.run(app.sink_for(adapter)) for adapter in adapters))
        finally:
            for pump in pumps:
                await pump.stop()
            for schedule in schedules:
                await schedule.stop()
    finally:
        await observed.stop()
        await app.close()
    return 0
