"""The ``candibot`` command. Each module of this package adds its subcommands:

- ``demo``: chat with the bot in the terminal, on demo data;
- ``database``: ``db upgrade|current`` and ``areas load``;
- ``exchange``: ``import`` and ``export``;
- ``chores``: ``keys generate|rotate`` and ``purge``;
- ``run``: every configured adapter, until stopped;
- ``staff``: ``moderators add|remove|list`` and ``audit verify``;
- ``outbox``: ``outbox status`` and ``outbox retry --failed``;
- ``broadcast``: an operator's message to the subscribers of an area.

``common`` holds what they share; ``main`` turns any error into one line (``explain``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from bot.cli import broadcast, chores, database, demo, exchange, outbox, run, staff
from bot.cli.common import OperatorError, Target, explain, prepare, target
from bot.config import DEFAULT_CONFIG_FILE, Settings
from bot.observability.logs import configure as configure_logging

MODULES = (demo, run, database, exchange, chores, outbox, broadcast, staff)

DEBUG_HELP = "on an error, show the whole traceback (also CANDIBOT_LOG_LEVEL=DEBUG)"


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="candibot", description="candibot, the election bot")
    root.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    commands = root.add_subparsers(dest="command", required=True)
    for module in MODULES:
        module.register(commands)
    _debug_everywhere(root)
    return root


def _debug_everywhere(command: argparse.ArgumentParser) -> None:
    """``--debug`` also after a subcommand (``candibot db upgrade --debug``)."""
    for action in command._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in set(action.choices.values()):
                if not any("--debug" in a.option_strings for a in sub._actions):
                    sub.add_argument(
                        "--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP
                    )
                _debug_everywhere(sub)


def main(argv: list[str] | None = None) -> int:
    """Runs a subcommand. An error is one line on standard error saying how to fix it,
    and exit code 1; the traceback only with --debug or CANDIBOT_LOG_LEVEL=DEBUG."""
    args = parser().parse_args(argv)
    debug = args.debug or os.environ.get("CANDIBOT_LOG_LEVEL", "").upper() == "DEBUG"
    database: Target | None = None
    try:
        settings = Settings()
        level = settings.log_level.upper()
        if not isinstance(logging.getLevelName(level), int):
            raise OperatorError(
                f"CANDIBOT_LOG_LEVEL is {settings.log_level!r}: use DEBUG, INFO, WARNING or ERROR"
            )
        configure_logging(level, settings.log_format, sys.stderr)
        database = target(args, settings)
        if database is not None:
            prepare(database)
        result: int = asyncio.run(args.run(args, settings))
    except KeyboardInterrupt:
        if debug:
            raise
        return 130
    except Exception as error:
        if debug:
            raise
        config_file = os.environ.get("CANDIBOT_CONFIG", DEFAULT_CONFIG_FILE)
        print(f"candibot: {explain(error, database, config_file)}", file=sys.stderr)
        return 1
    return result
