"""No client address in aiohttp's log lines: its access log is off (``AppRunner``'s
``access_log=None``), and the few lines it still writes (``Error handling request from
%s``) keep their template but not their arguments or exception text."""

from __future__ import annotations

from bot.adapters.withheld import withhold

LOGGERS = ("aiohttp.access", "aiohttp.server", "aiohttp.web", "aiohttp.internal")


def withhold_addresses() -> None:
    withhold(*LOGGERS)
