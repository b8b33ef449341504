"""Keeps python-telegram-bot's, httpx's and aiohttp's log lines from carrying tokens,
ids or texts, and two of PTB's warnings about deliberate choices out of standard error.

Their request logs name URLs (which hold the bot's token) and their debug lines
quote parameters (chat ids, message texts), so their loggers are held at
WARNING, and what they log at WARNING or above keeps only its template: no
arguments and no exception text.
"""

from __future__ import annotations

import logging
import warnings

from telegram.warnings import PTBDeprecationWarning, PTBUserWarning

from bot.adapters.withheld import FILTER

LIBRARIES = ("telegram", "httpx", "httpcore", "aiohttp")


def quieten() -> None:
    """Hold the libraries' loggers (those created so far, and their parents) at WARNING."""
    # PTB warns on every 429 it raises that ``retry_after`` will become a timedelta.
    warnings.filterwarnings("ignore", message=".*`retry_after`.*", category=PTBDeprecationWarning)
    # The poller fetches raw updates on purpose, so as not to parse those in hand again.
    warnings.filterwarnings("ignore", message=".*Bot.get_updates.*", category=PTBUserWarning)
    names = [
        name for name in list(logging.root.manager.loggerDict) if name.split(".", 1)[0] in LIBRARIES
    ]
    for name in {*LIBRARIES, *names}:
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)
        if FILTER not in logger.filters:
            logger.addFilter(FILTER)
