"""The process's log lines: plain text for a terminal, or one JSON object a line for a
log collector (``CANDIBOT_LOG_FORMAT=json``).

Either way what reaches a line has been through ``bot.core.redaction`` (an event's ids
and text) and the adapters' filters (platform libraries). A JSON line holds the time
(UTC), level, logger and message only; an exception gives its type and its frames
(file, line, function), never its text, which may quote a value. The database
libraries log statements with their parameters (pseudonyms, chat ids) and rows at
INFO and DEBUG: they are held at WARNING whatever the level asked for.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from datetime import UTC, datetime
from typing import Any, TextIO

#: Loggers whose INFO and DEBUG lines carry SQL parameters or rows.
DATA_LOGGERS = ("sqlalchemy", "aiosqlite", "asyncpg")
TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"

_FRAME = re.compile(r'^\s*File "([^"]+)", line (\d+), in (\S+)')


class JsonLines(logging.Formatter):
    """One JSON object a record: ``time``, ``level``, ``logger``, ``message`` and, for an
    exception, ``error`` (its type) and ``frames``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
            entry["frames"] = [
                f"{frame.filename}:{frame.lineno} {frame.name}"
                for frame in traceback.extract_tb(record.exc_info[2])
            ]
        elif record.exc_text:  # already formatted (and redacted) by bot.core.redaction
            entry.update(_from_text(record.exc_text))
        return json.dumps(entry, ensure_ascii=False)


def _from_text(text: str) -> dict[str, Any]:
    """A formatted traceback's type and frames, without the exception's message."""
    lines = text.splitlines()
    frames = []
    for line in lines:
        found = _FRAME.match(line)
        if found:
            frames.append(f"{found[1]}:{found[2]} {found[3]}")
    last = lines[-1] if lines else ""
    error = last.split(":", 1)[0].strip().rpartition(".")[2] if last else "Exception"
    return {"error": error or "Exception", "frames": frames}


_configured: list[logging.Handler] = []


def configure(level: str, format: str, stream: TextIO) -> logging.Handler:
    """Send the root logger's records at ``level`` and above to ``stream`` as ``format``
    ("text" or "json"), in place of what an earlier call set up; returns the handler."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines() if format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    while _configured:
        root.removeHandler(_configured.pop())
    root.addHandler(handler)
    _configured.append(handler)
    root.setLevel(level)
    hold_data_loggers()
    return handler


def hold_data_loggers() -> None:
    for name in DATA_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)
