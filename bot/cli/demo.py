"""``candibot demo``: the bot in this terminal, on a fresh SQLite file with demo data."""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import make_url

from bot.adapters.console import ConsoleAdapter
from bot.app import app_from_settings
from bot.config import Settings, load_identity_key

LANG_HINTS = {"zh": "zh-hans", "en": "en"}


def register(commands: Any) -> None:
    demo = commands.add_parser("demo", help="chat with the bot in this terminal, on demo data")
    demo.add_argument(
        "--as",
        dest="role",
        default="citizen",
        help="citizen, moderator, admin or candidate:<number> (the role you play)",
    )
    demo.add_argument("--user", default="1", help="your simulated platform user id")
    demo.add_argument("--lang", choices=sorted(LANG_HINTS), help="your platform's language")
    demo.add_argument("--db", help="database URL (default: a fresh SQLite file, removed at exit)")
    demo.add_argument(
        "--today", type=date.fromisoformat, metavar="YYYY-MM-DD",
        help="pretend it is this day, 09:30 in China: dates, deadlines and reminders follow",
    )  # fmt: skip
    demo.add_argument(
        "--echo",
        action="store_true",
        help="write each line read, after '> ', as a transcript of piped input",
    )
    demo.set_defaults(run=demo_command)


def demo_key(url: str, settings: Settings, explicit: bool) -> bytes:
    """A throwaway key for a throwaway database; otherwise one kept beside the database."""
    if not explicit:
        return secrets.token_bytes(32)
    if settings.identity_key is None and "identity_key_file" not in settings.model_fields_set:
        database = make_url(url).database
        if make_url(url).get_backend_name() == "sqlite" and database:
            settings = settings.model_copy(update={"identity_key_file": Path(database + ".key")})
    return load_identity_key(settings)


def _new_sqlite_file(url: str) -> Path | None:
    """A SQLite database ``--db`` names that does not exist yet, in a directory that does."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database)
    return path if not path.exists() and path.parent.is_dir() else None


def _morning_of(day: date) -> Callable[[], datetime]:
    moment = datetime.combine(day, time(9, 30), tzinfo=ZoneInfo("Asia/Shanghai"))
    return lambda: moment


async def demo_command(args: argparse.Namespace, settings: Settings) -> int:
    from bot.delivery import OutboxPump
    from bot.maintenance import PurgeSchedule, generate_keys
    from bot.reminders import reminder_schedule
    from storage.areas import load_divisions
    from storage.crypto import read_key_file
    from storage.dataset import load_dataset, read_packaged
    from storage.models import Candidacy, StaffRole
    from storage.roles import add_staff, link_candidate_account
    from storage.unit import unit_factory

    with tempfile.TemporaryDirectory(prefix="candibot-demo-") as scratch:
        url = args.db or f"sqlite:///{scratch}/demo.sqlite"
        identity_key = demo_key(url, settings, explicit=bool(args.db))
        # The demo's moderators' key: beside a kept SQLite database, else thrown away.
        database = make_url(url).database if args.db else None
        key_file = Path(f"{database}.report.key" if database else f"{scratch}/report.key")
        keys = read_key_file(key_file) if key_file.exists() else generate_keys(key_file, None)
        if "publish_approvals" not in settings.model_fields_set:
            # One person plays every moderator in the demo.
            settings = settings.model_copy(update={"publish_approvals": 1})
        if not settings.model_fields_set & {"rate_burst", "rate_per_minute"}:
            # One person at a local terminal (or a pasted script) floods no one.
            settings = settings.model_copy(update={"rate_burst": 10**6, "rate_per_minute": 10**6})
        clock = _morning_of(args.today) if args.today else None
        from bot.cli.demo_cache import fresh_database

        if not args.db:
            await fresh_database(Path(scratch) / "demo.sqlite")
        elif (new := _new_sqlite_file(url)) is not None:
            await fresh_database(new)
        app = await app_from_settings(settings, identity_key, keys, database_url=url, clock=clock)
        purging = PurgeSchedule(app.engine, settings)
        await purging.start()
        try:
            async with unit_factory(app.engine)() as unit:
                await load_divisions(unit.session)
                await load_dataset(unit.session, read_packaged())
                role = args.role
                if role in ("moderator", "admin"):
                    await add_staff(unit.session, "console", args.user, StaffRole(role))
                elif role.startswith("candidate:") and role[10:].isdigit():
                    if await unit.session.get(Candidacy, int(role[10:])) is None:
                        print(f"candibot: there is no candidate {role[10:]}", file=sys.stderr)
                        return 2
                    await link_candidate_account(unit.session, int(role[10:]), "console", args.user)
                elif role != "citizen":
                    print(f"candibot: unknown role {role!r}", file=sys.stderr)
                    return 2
            interactive = sys.stdin.isatty()
            if interactive:
                print("candibot demo: type /start, or a name. Ctrl-D quits.", file=sys.stderr)
            adapter = ConsoleAdapter(
                sys.stdin.buffer,
                sys.stdout,
                user_id=args.user,
                language=LANG_HINTS.get(args.lang or ""),
                prompt=interactive,
                echo=args.echo and not interactive,
            )
            # Alerts and announcements reach this terminal as they would a chat; so do
            # the reminders due on the demo's day.
            reminders = reminder_schedule(app.engine, settings, now=clock)
            await reminders.start()
            pump = OutboxPump(app.engine, adapter)
            await pump.once()
            pump.start()
            try:
                await adapter.run(app.sink_for(adapter))
            finally:
                await reminders.stop()
                await pump.stop()
                await pump.once()  # what the last lines queued
        finally:
            await purging.stop()
            await app.close()
    return 0
