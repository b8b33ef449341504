"""The ``candibot`` command: ``demo`` in the terminal and ``db upgrade``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.adapters.console import ConsoleAdapter
from bot.app import build_app
from bot.config import Settings, load_identity_key

LANG_HINTS = {"zh": "zh-hans", "en": "en"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="candibot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="chat with the bot in this terminal, on demo data")
    demo.add_argument(
        "--as",
        dest="role",
        default="citizen",
        help="citizen, moderator or candidate:<number> (the role you play)",
    )
    demo.add_argument("--user", default="1", help="your simulated platform user id")
    demo.add_argument("--lang", choices=sorted(LANG_HINTS), help="your platform's language")
    demo.add_argument("--db", help="database URL (default: a fresh SQLite file, removed at exit)")

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="apply schema migrations")
    upgrade.add_argument("--db", help="database URL (default: CANDIBOT_DATABASE_URL)")
    current = db_commands.add_parser("current", help="print the schema revision")
    current.add_argument("--db", help="database URL (default: CANDIBOT_DATABASE_URL)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command == "demo":
        return asyncio.run(_demo(args, settings))
    return asyncio.run(_db(args, settings))


async def _db(args: argparse.Namespace, settings: Settings) -> int:
    from storage.db import current_revision, make_engine, upgrade

    engine = make_engine(args.db or settings.database_url)
    try:
        if args.db_command == "upgrade":
            await upgrade(engine)
        print(await current_revision(engine) or "(empty)")
    finally:
        await engine.dispose()
    return 0


def _demo_key(url: str, settings: Settings, explicit: bool) -> bytes:
    """A throwaway key for a throwaway database; otherwise one kept beside the database."""
    if not explicit:
        return secrets.token_bytes(32)
    if settings.identity_key is None and "identity_key_file" not in settings.model_fields_set:
        database = make_url(url).database
        if make_url(url).get_backend_name() == "sqlite" and database:
            settings = settings.model_copy(update={"identity_key_file": Path(database + ".key")})
    return load_identity_key(settings)


async def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from storage.dataset import load_dataset, read_packaged
    from storage.models import Candidacy, StaffRole
    from storage.roles import add_staff, link_candidate_account
    from storage.unit import unit_factory

    with tempfile.TemporaryDirectory(prefix="candibot-demo-") as scratch:
        url = args.db or f"sqlite:///{scratch}/demo.sqlite"
        app = await build_app(
            url,
            _demo_key(url, settings, explicit=bool(args.db)),
            default_language=settings.default_language,
            state_ttl=timedelta(hours=settings.state_ttl_hours),
        )
        try:
            async with unit_factory(app.engine)() as unit:
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
            )
            await adapter.run(app.sink_for(adapter))
        finally:
            await app.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
