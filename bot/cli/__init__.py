"""The ``candibot`` command. Each module of this package adds its subcommands:

- ``demo``: chat with the bot in the terminal, on demo data;
- ``database``: ``db upgrade|current`` and ``areas load``;
- ``exchange``: ``import`` and ``export``;
- ``chores``: ``keys generate|rotate`` and ``purge``;
- ``run``: every configured adapter, until stopped;
- ``staff``: ``moderators add|remove|list`` and ``audit verify``;
- ``outbox``: ``outbox status`` and ``outbox retry --failed``;
- ``broadcast``: an operator's message to the subscribers of an area.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.cli import broadcast, chores, database, demo, exchange, outbox, run, staff
from bot.config import Settings

MODULES = (demo, run, database, exchange, chores, outbox, broadcast, staff)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="candibot", description="candibot, the election bot")
    commands = root.add_subparsers(dest="command", required=True)
    for module in MODULES:
        module.register(commands)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    result: int = asyncio.run(args.run(args, settings))
    return result
