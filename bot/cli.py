"""The ``candibot`` command: ``demo`` in the terminal, ``db upgrade``, ``import``,
``export`` and ``areas load``."""

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
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.console import ConsoleAdapter
from bot.app import build_app, report_setup
from bot.config import Settings, load_identity_key
from handlers.policy import Policy
from storage.exchange.sources import FORMATS

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

    load = commands.add_parser("import", help="import candidacies from a CSV or Popolo file")
    load.add_argument("file", type=Path, help="a .csv, .csv.gz, .json or .json.gz file")
    load.add_argument("--format", choices=FORMATS, help="default: from the file's name")
    load.add_argument("--db", help="database URL (default: CANDIBOT_DATABASE_URL)")

    dump = commands.add_parser("export", help="export every candidacy as CSV or Popolo")
    dump.add_argument("--format", choices=FORMATS, required=True)
    dump.add_argument("--output", type=Path, help="a file (.gz: compressed); default stdout")
    dump.add_argument("--db", help="database URL (default: CANDIBOT_DATABASE_URL)")

    areas = commands.add_parser("areas", help="administrative divisions")
    areas_commands = areas.add_subparsers(dest="areas_command", required=True)
    areas_load = areas_commands.add_parser("load", help="load the packaged divisions")
    areas_load.add_argument("--db", help="database URL (default: CANDIBOT_DATABASE_URL)")

    keys = commands.add_parser("keys", help="the moderators' key pair for reports")
    keys_commands = keys.add_subparsers(dest="keys_command", required=True)
    keys_generate = keys_commands.add_parser("generate", help="create the key file")
    keys_generate.add_argument("--file", type=Path, help="default: CANDIBOT_REPORT_KEY_FILE")
    keys_rotate = keys_commands.add_parser(
        "rotate", help="re-seal every report to a new key pair and replace the key file"
    )
    keys_rotate.add_argument("--db", help="database URL (default: CANDIBOT_DATABASE_URL)")
    for command in (keys_generate, keys_rotate):
        command.add_argument(
            "--passphrase-env", metavar="VAR",
            help="lock the new private key with the passphrase in this environment variable",
        )  # fmt: skip

    purge = commands.add_parser("purge", help="delete what the retention rules say has expired")
    purge.add_argument("--db", help="database URL (default: CANDIBOT_DATABASE_URL)")
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
    if args.command == "import":
        return asyncio.run(_import(args, settings))
    if args.command == "export":
        return asyncio.run(_export(args, settings))
    if args.command == "areas":
        return asyncio.run(_areas(args, settings))
    if args.command in ("keys", "purge"):
        return asyncio.run(_chores(args, settings))
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


async def _chores(args: argparse.Namespace, settings: Settings) -> int:
    from bot.maintenance import (
        ChoreFailed,
        KeyFileError,
        generate_keys,
        passphrase_from,
        purge_once,
        rotate_keys,
    )

    try:
        if args.command == "keys" and args.keys_command == "generate":
            path = args.file or settings.report_key_file
            keys = generate_keys(path, passphrase_from(args.passphrase_env))
            print(f"wrote {path} (key id {keys.id}); keep a copy offline, apart from backups")
            return 0
        engine = await _migrated(args.db or settings.database_url)
        try:
            if args.command == "purge":
                print(await purge_once(engine, settings))
                return 0
            rotation = await rotate_keys(engine, settings, passphrase_from(args.passphrase_env))
        finally:
            await engine.dispose()
        print(
            f"re-sealed {rotation.count} reports to key {rotation.new_id}; the old key is in "
            f"{rotation.retired}: destroy it once the new one is backed up"
        )
        return 0
    except (ChoreFailed, KeyFileError) as exc:
        print(f"candibot: {exc}", file=sys.stderr)
        return 1


async def _migrated(url: str) -> AsyncEngine:
    from storage.db import make_engine, upgrade

    engine = make_engine(url)
    await upgrade(engine)
    return engine


async def _import(args: argparse.Namespace, settings: Settings) -> int:
    from storage.exchange import ImportRefused, guess_format, import_file
    from storage.exchange.progress import ProgressBar

    file_format = args.format or guess_format(args.file)
    if file_format is None:
        print(
            f"candibot: cannot tell the format of {args.file.name}; use --format csv|popolo",
            file=sys.stderr,
        )
        return 2
    if not args.file.is_file():
        print(f"candibot: no such file: {args.file}", file=sys.stderr)
        return 2
    engine = await _migrated(args.db or settings.database_url)
    try:
        with ProgressBar() as progress:
            report = await import_file(engine, args.file, file_format, progress=progress)
    except ImportRefused as refused:
        for line in refused.problems.lines():
            print(line, file=sys.stderr)
        print(f"candibot: {refused}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    print(report.summary(), file=sys.stderr)
    return 0


async def _export(args: argparse.Namespace, settings: Settings) -> int:
    from storage.exchange import export
    from storage.exchange.sources import open_output

    engine = await _migrated(args.db or settings.database_url)
    try:
        with open_output(args.output, sys.stdout) as out:
            await export(engine, args.format, out)
    finally:
        await engine.dispose()
    return 0


async def _areas(args: argparse.Namespace, settings: Settings) -> int:
    from storage.areas import load_divisions
    from storage.unit import unit_factory

    engine = await _migrated(args.db or settings.database_url)
    try:
        async with unit_factory(engine)() as unit:
            added = await load_divisions(unit.session)
    finally:
        await engine.dispose()
    print(f"{added} areas added", file=sys.stderr)
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
    from bot.maintenance import PurgeSchedule, generate_keys
    from storage.areas import load_divisions
    from storage.crypto import read_key_file
    from storage.dataset import load_dataset, read_packaged
    from storage.models import Candidacy, StaffRole
    from storage.roles import add_staff, link_candidate_account
    from storage.unit import unit_factory

    with tempfile.TemporaryDirectory(prefix="candibot-demo-") as scratch:
        url = args.db or f"sqlite:///{scratch}/demo.sqlite"
        identity_key = _demo_key(url, settings, explicit=bool(args.db))
        # The demo's moderators' key: beside a kept SQLite database, else thrown away.
        database = make_url(url).database if args.db else None
        key_file = Path(f"{database}.report.key" if database else f"{scratch}/report.key")
        keys = read_key_file(key_file) if key_file.exists() else generate_keys(key_file, None)
        app = await build_app(
            url,
            identity_key,
            default_language=settings.default_language,
            state_ttl=timedelta(hours=settings.state_ttl_hours),
            policy=Policy(
                quiet_on_election_day=settings.quiet_on_election_day,
                reports=report_setup(settings, identity_key, keys),
            ),
        )
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
            )
            await adapter.run(app.sink_for(adapter))
        finally:
            await purging.stop()
            await app.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
