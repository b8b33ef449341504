"""Keeps Matrix ids out of matrix-nio's log lines.

nio logs room ids at INFO and user ids, event ids and keys in its warnings;
peewee, under nio's crypto store, logs user ids and pickled keys at DEBUG. The
bot's own code logs none of them. This sets both to WARNING and replaces ids
and long keys in nio's lines with ``[redacted]``.
"""

from __future__ import annotations

import logging
import re

from bot.core.redaction import REDACTED

#: User, room and alias ids (``@a:b``, ``!a:b``, ``#a:b``, and room version 12's
#: ``!opaque``), event ids (``$...``), and base64 keys and session ids.
_SECRETS = re.compile(
    r"[@!#][^\s:'\"<>]+:[A-Za-z0-9.\-]+(?::\d+)?"
    r"|[!$][A-Za-z0-9+/_\-=]{8,}(?::[A-Za-z0-9.\-]+)?"
    r"|[A-Za-z0-9+/_\-]{32,}"
)


def scrub(text: str) -> str:
    return _SECRETS.sub(REDACTED, text)


class ScrubMatrixIds(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the template only
            message = str(record.msg)
        record.msg, record.args = scrub(message), ()
        if record.exc_info and record.exc_info[0] is not None:
            # Exception texts from nio may quote ids; keep the type only.
            record.msg = f"{record.msg} ({record.exc_info[0].__name__})"
            record.exc_info, record.exc_text = None, None
        return True


_FILTER = ScrubMatrixIds()


def quiet_nio() -> None:
    """WARNING and above only, scrubbed, for every ``nio`` logger (filters do not inherit)."""
    logging.getLogger("peewee").setLevel(logging.WARNING)
    logging.getLogger("nio").setLevel(logging.WARNING)
    for name in list(logging.root.manager.loggerDict):
        if name == "nio" or name.startswith("nio."):
            logger = logging.getLogger(name)
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)
