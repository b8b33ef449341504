"""``candibot db upgrade|current|backup`` and ``candibot areas load``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import OperatorError, Target, database_option, migrated
from bot.config import Settings


def register(commands: Any) -> None:
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    for name, text in (("upgrade", "apply schema migrations"), ("current", "print the revision")):
        command = db_commands.add_parser(name, help=text)
        database_option(command)
        command.set_defaults(run=schema)
    backup = db_commands.add_parser(
        "backup", help="copy a SQLite database into a new file while the bot runs (no keys)"
    )
    backup.add_argument("destination", type=Path, help="the new file")
    database_option(backup)
    backup.set_defaults(run=backup_command)

    areas = commands.add_parser("areas", help="administrative divisions")
    areas_commands = areas.add_subparsers(dest="areas_command", required=True)
    load = areas_commands.add_parser("load", help="load the packaged divisions (44,700 areas)")
    database_option(load)
    load.set_defaults(run=load_areas)


async def schema(args: argparse.Namespace, settings: Settings) -> int:
    from storage.db import current_revision, make_engine, upgrade

    engine = make_engine(args.db or settings.database_url)
    try:
        if args.db_command == "upgrade":
            await upgrade(engine)
        print(await current_revision(engine) or "(empty: `candibot db upgrade` creates the schema)")
    finally:
        await engine.dispose()
    return 0


async def backup_command(args: argparse.Namespace, settings: Settings) -> int:
    from storage.backup import BackupError, backup_sqlite

    database = (
        Target(args.db, "--db")
        if args.db
        else Target(settings.database_url, "CANDIBOT_DATABASE_URL")
    )
    source = database.sqlite_file
    if source is None:
        raise OperatorError(
            f"{database.source} is not a SQLite file: back up PostgreSQL with pg_dump "
            "(docs/DEPLOY.md)"
        )
    try:
        size = backup_sqlite(source, args.destination)
    except BackupError as exc:
        raise OperatorError(str(exc)) from None
    print(
        f"wrote {args.destination} ({size} bytes); it holds no key: back up the key files "
        "apart from it (docs/DEPLOY.md)"
    )
    return 0


async def load_areas(args: argparse.Namespace, settings: Settings) -> int:
    from storage.areas import load_divisions
    from storage.unit import unit_factory

    engine = await migrated(args.db or settings.database_url)
    try:
        async with unit_factory(engine)() as unit:
            added = await load_divisions(unit.session)
    finally:
        await engine.dispose()
    print(f"{added} areas added", file=sys.stderr)
    return 0
