"""``candibot db upgrade|current`` and ``candibot areas load``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.cli.common import database_option, migrated
from bot.config import Settings


def register(commands: Any) -> None:
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    for name, text in (("upgrade", "apply schema migrations"), ("current", "print the revision")):
        command = db_commands.add_parser(name, help=text)
        database_option(command)
        command.set_defaults(run=schema)

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
