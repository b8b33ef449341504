"""``candibot import FILE`` and ``candibot export``: CSV and Popolo (docs/IMPORT_FORMAT.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import OperatorError, database_option, migrated
from bot.config import Settings
from storage.exchange.sources import FORMATS

#: ``export --format open-data --output DIR``: what anyone may have (storage/open_data.py).
OPEN_DATA = "open-data"


def register(commands: Any) -> None:
    load = commands.add_parser("import", help="import candidacies from a CSV or Popolo file")
    load.add_argument("file", type=Path, help="a .csv, .csv.gz, .json or .json.gz file")
    load.add_argument("--format", choices=FORMATS, help="default: from the file's name")
    database_option(load)
    load.set_defaults(run=import_command)

    dump = commands.add_parser(
        "export", help="export every candidacy as CSV or Popolo, or the open data (a directory)"
    )
    dump.add_argument("--format", choices=(*FORMATS, OPEN_DATA), required=True)
    dump.add_argument(
        "--output", type=Path,
        help="a file (.gz: compressed); default stdout. For open-data: a directory (required)",
    )  # fmt: skip
    dump.add_argument(
        "--min-count", type=int, metavar="N",
        help="open-data: counts below N are published as <N and a county's summaries wait "
        "until it has N published incidents (default CANDIBOT_OPEN_DATA_MIN_COUNT, 5)",
    )  # fmt: skip
    database_option(dump)
    dump.set_defaults(run=export_command)


async def import_command(args: argparse.Namespace, settings: Settings) -> int:
    from bot.core.i18n import Catalogs
    from handlers.import_news import on_import
    from handlers.triggers import Moment, today_in_china
    from storage.exchange import ImportRefused, NoDivisions, guess_format, import_file
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
    engine = await migrated(args.db or settings.database_url)
    try:
        with ProgressBar() as progress:
            # Followers of the places it changes are told, in the import's transaction.
            moment = Moment(today_in_china(), settings.quiet_on_election_day)
            report = await import_file(engine, args.file, file_format, progress=progress,
                                       on_changes=on_import(Catalogs(), moment))  # fmt: skip
    except ImportRefused as refused:
        for line in refused.problems.lines():
            print(line, file=sys.stderr)
        print(f"candibot: {refused}", file=sys.stderr)
        return 1
    except NoDivisions as empty:
        raise OperatorError(f"{empty}: run `candibot areas load` first") from empty
    finally:
        await engine.dispose()
    print(report.summary(), file=sys.stderr)
    for line in report.warning_lines():
        print(f"warning: {line}", file=sys.stderr)
    return 0


async def export_command(args: argparse.Namespace, settings: Settings) -> int:
    from storage.exchange import export
    from storage.exchange.sources import open_output

    if args.format == OPEN_DATA:
        return await open_data_command(args, settings)
    engine = await migrated(args.db or settings.database_url)
    try:
        with open_output(args.output, sys.stdout) as out:
            await export(engine, args.format, out)
    finally:
        await engine.dispose()
    return 0


async def open_data_command(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.triggers import today_in_china
    from storage.open_data import summary_line, write_open_data

    threshold = settings.open_data_min_count if args.min_count is None else args.min_count
    if args.output is None:
        print("candibot: open-data is a directory of files: give it with --output DIR",
              file=sys.stderr)  # fmt: skip
        return 2
    if threshold < 1:
        print("candibot: --min-count must be 1 or more", file=sys.stderr)
        return 2
    if args.output.exists() and not args.output.is_dir():
        print(f"candibot: {args.output} is not a directory", file=sys.stderr)
        return 2
    engine = await migrated(args.db or settings.database_url)
    try:
        written = await write_open_data(engine, args.output, today_in_china(), threshold)
    finally:
        await engine.dispose()
    print(f"{args.output}: {summary_line(written, threshold)}", file=sys.stderr)
    return 0
