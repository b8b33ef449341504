"""A log filter for libraries whose log lines may quote what must stay out of logs (a
token in a URL, a client's address): a record keeps its template only, without its
arguments or exception text."""

from __future__ import annotations

import logging


class WithoutArguments(logging.Filter):
    """Drops a record's arguments and exception text, which may quote secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg, record.args = f"{record.msg} [details withheld]", ()
        if record.exc_info and record.exc_info[0] is not None:
            record.msg = f"{record.msg} ({record.exc_info[0].__name__})"
            record.exc_info, record.exc_text = None, None
        return True


FILTER = WithoutArguments()


def withhold(*names: str) -> None:
    """Add the filter to the loggers ``names`` (once each)."""
    for name in names:
        logger = logging.getLogger(name)
        if FILTER not in logger.filters:
            logger.addFilter(FILTER)
