"""Keeps user ids, chat ids, receipts and report text out of every log line.

While an event is handled, the values that identify its sender or carry its
content are registered here (a context variable, so concurrent events do not
mix). A log record factory, installed once, replaces any registered value in a
record's message and exception text with ``[redacted]`` before any handler or
formatter sees it. This is a safety net: code should not log such values at all.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

REDACTED = "[redacted]"
#: Shorter values would redact ordinary words and numbers.
MIN_LENGTH = 4

_secrets: ContextVar[frozenset[str]] = ContextVar("candibot_log_secrets", default=frozenset())
_installed = False


@contextmanager
def protecting(*values: str | None) -> Iterator[None]:
    """Redact ``values`` from log records made inside this block (and tasks it starts)."""
    fresh = {v for v in values if v and len(v) >= MIN_LENGTH}
    token = _secrets.set(_secrets.get() | fresh)
    try:
        yield
    finally:
        _secrets.reset(token)


def protect(*values: str | None) -> None:
    """Add ``values`` for the rest of the current block (e.g. a receipt just made)."""
    fresh = {v for v in values if v and len(v) >= MIN_LENGTH}
    if fresh:
        _secrets.set(_secrets.get() | fresh)


def redact(text: str, secrets: frozenset[str] | None = None) -> str:
    for secret in sorted(secrets if secrets is not None else _secrets.get(), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def install() -> None:
    """Wrap the log record factory once per process."""
    global _installed
    if _installed:
        return
    make_record = logging.getLogRecordFactory()

    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        secrets = _secrets.get()
        if not secrets:
            return record
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the template only
            message = str(record.msg)
        record.msg, record.args = redact(message, secrets), ()
        if record.exc_info and record.exc_info[0] is not None:
            text = "".join(traceback.format_exception(*record.exc_info))
            record.exc_text = redact(text.rstrip("\n"), secrets)
            record.exc_info = None
        return record

    logging.setLogRecordFactory(redacting_factory)
    _installed = True
