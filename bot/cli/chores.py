"""``candibot keys generate|rotate`` and ``candibot purge``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import database_option, migrated
from bot.config import Settings
from bot.maintenance import (
    ChoreFailed,
    KeyFileError,
    generate_keys,
    passphrase_from,
    purge_once,
    rotate_keys,
)


def register(commands: Any) -> None:
    keys = commands.add_parser("keys", help="the moderators' key pair for reports")
    keys_commands = keys.add_subparsers(dest="keys_command", required=True)
    generate = keys_commands.add_parser("generate", help="create the key file")
    generate.add_argument("--file", type=Path, help="default: CANDIBOT_REPORT_KEY_FILE")
    generate.set_defaults(run=generate_command)
    rotate = keys_commands.add_parser(
        "rotate", help="give every report a fresh key sealed to a new key pair; replace the file"
    )
    database_option(rotate)
    rotate.set_defaults(run=rotate_command)
    for command in (generate, rotate):
        command.add_argument(
            "--passphrase-env", metavar="VAR",
            help="lock the new private key with the passphrase in this environment variable",
        )  # fmt: skip

    purge = commands.add_parser("purge", help="delete what the retention rules say has expired")
    database_option(purge)
    purge.set_defaults(run=purge_command)


async def generate_command(args: argparse.Namespace, settings: Settings) -> int:
    path = args.file or settings.report_key_file
    try:
        keys = generate_keys(path, passphrase_from(args.passphrase_env))
    except ChoreFailed as exc:
        print(f"candibot: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {path} (key id {keys.id}); keep a copy offline, apart from backups")
    return 0


async def rotate_command(args: argparse.Namespace, settings: Settings) -> int:
    engine = await migrated(args.db or settings.database_url)
    try:
        rotation = await rotate_keys(engine, settings, passphrase_from(args.passphrase_env))
    except (ChoreFailed, KeyFileError) as exc:
        print(f"candibot: {exc}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    print(
        f"re-encrypted {rotation.count} reports under fresh keys sealed to key "
        f"{rotation.new_id}; the old key is in "
        f"{rotation.retired}: destroy it once the new one is backed up"
    )
    return 0


async def purge_command(args: argparse.Namespace, settings: Settings) -> int:
    engine = await migrated(args.db or settings.database_url)
    try:
        print(await purge_once(engine, settings))
    finally:
        await engine.dispose()
    return 0
