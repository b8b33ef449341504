"""``candibot demo``: the bot in this terminal (or, with ``--web``, in a browser on
127.0.0.1), on a fresh SQLite file with demo data."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import signal
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import make_url

from bot.adapters.base import Adapter, EventSink
from bot.adapters.console import ConsoleAdapter
from bot.app import App, app_from_settings
from bot.config import Settings, load_identity_key

LANG_HINTS = {"zh": "zh-hans", "en": "en"}


def register(commands: Any) -> None:
    demo = commands.add_parser("demo", help="chat with the bot in this terminal, on demo data")
    demo.add_argument(
        "--as",
        dest="role",
        default="citizen",
        help="citizen, volunteer, moderator, admin or candidate:<number> (the role you play)",
    )
    demo.add_argument("--user", default="1", help="your simulated platform user id")
    demo.add_argument("--lang", choices=sorted(LANG_HINTS), help="your platform's language")
    demo.add_argument("--db", help="database URL (default: a fresh SQLite file, removed at exit)")
    demo.add_argument(
        "--today", type=date.fromisoformat, metavar="YYYY-MM-DD",
        help="pretend it is this day, 09:30 in China: dates, deadlines and reminders follow",
    )  # fmt: skip
    demo.add_argument(
        "--web", action="store_true",
        help="serve the web chat on 127.0.0.1 instead of chatting in this terminal",
    )  # fmt: skip
    demo.add_argument("--port", type=int, default=8090, help="the web chat's port (default 8090)")
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


#: How long the demo's claim code would work, as a moderator's /verify gives it.
CLAIM_CODE_LIFE = timedelta(hours=48)


def _now() -> datetime:
    return datetime.now(UTC)


def _console(args: argparse.Namespace, opening: list[str]) -> ConsoleAdapter:
    interactive = sys.stdin.isatty()
    if interactive:
        print("candibot demo: type /start, or a name. Ctrl-D quits.", file=sys.stderr)
    return ConsoleAdapter(
        sys.stdin.buffer,
        sys.stdout,
        user_id=args.user,
        language=LANG_HINTS.get(args.lang or ""),
        prompt=interactive,
        opening=opening,
        echo=args.echo and not interactive,
    )


def _web(args: argparse.Namespace, settings: Settings, app: App) -> Adapter:
    from bot.adapters.web import WebAdapter, WebOptions

    local = settings.model_copy(
        update={"web_listen": f"127.0.0.1:{args.port}", "web_onion_only": False}
    )
    options = WebOptions.from_settings(local)
    assert options is not None
    return WebAdapter(options, app.ephemeral)


async def _serve(adapter: Adapter, sink: EventSink) -> None:
    """Run ``adapter``; a web chat says where to open it, and stops at Ctrl-C or SIGTERM."""
    from bot.adapters.web import WebAdapter

    if not isinstance(adapter, WebAdapter):
        await adapter.run(sink)
        return
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, lambda: loop.create_task(adapter.stop()))
    running = asyncio.create_task(adapter.run(sink))
    ready = asyncio.create_task(adapter.ready.wait())
    await asyncio.wait({running, ready}, return_when=asyncio.FIRST_COMPLETED)
    if ready.done():
        print(f"candibot demo: open http://127.0.0.1:{adapter.port}/ in a browser "
              "(demo data). Ctrl-C stops.", file=sys.stderr)  # fmt: skip
    else:
        ready.cancel()
    await running


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
    from storage import claims
    from storage.areas import load_divisions
    from storage.crypto import read_key_file
    from storage.dataset import load_dataset, read_packaged
    from storage.models import Candidacy, StaffRole
    from storage.roles import add_staff, roles_of
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
        opening: list[str] = []
        purging = PurgeSchedule(app.engine, settings)
        await purging.start()
        try:
            async with unit_factory(app.engine)() as unit:
                await load_divisions(unit.session)
                await load_dataset(unit.session, read_packaged())
                role = args.role
                if role in ("volunteer", "moderator", "admin"):
                    await add_staff(unit.session, "console", args.user, StaffRole(role))
                elif role.startswith("candidate:") and role[10:].isdigit():
                    number = int(role[10:])
                    if await unit.session.get(Candidacy, number) is None:
                        print(f"candibot: there is no candidate {number}", file=sys.stderr)
                        return 2
                    held = await roles_of(unit.session, "console", args.user)
                    if number not in held.candidacy_ids:
                        # No shortcut to a verified candidacy: the demo plays the
                        # moderator who hands over a claim code, and claims it visibly.
                        issued, _ = await claims.issue(
                            unit.session, number, "demo", (clock or _now)(), CLAIM_CODE_LIFE
                        )
                        opening.append(f"/claim {claims.show(issued)}")
                        print(
                            f"candibot demo: a moderator gave candidate {number} the claim "
                            f"code {claims.show(issued)}; the demo sends /claim for you.",
                            file=sys.stderr,
                        )
                elif role != "citizen":
                    print(f"candibot: unknown role {role!r}", file=sys.stderr)
                    return 2
            adapter = _web(args, settings, app) if args.web else _console(args, opening)
            # Alerts and announcements reach this terminal as they would a chat; so do
            # the reminders due on the demo's day.
            reminders = reminder_schedule(app.engine, settings, now=clock)
            await reminders.start()
            pump = OutboxPump(app.engine, adapter)
            await pump.once()
            pump.start()
            try:
                await _serve(adapter, app.sink_for(adapter))
            finally:
                await reminders.stop()
                await pump.stop()
                await pump.once()  # what the last lines queued
        finally:
            await purging.stop()
            await app.close()
    return 0
