"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, DateTime, String
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; SQLite would otherwise hand back naive ones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def key_string(length: int | None = None) -> String:
    """Text compared byte-wise, so that prefix ranges use the index on PostgreSQL too."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


#: Above every code point: ``prefix + PREFIX_END`` bounds the strings starting with prefix.
PREFIX_END = "\U0010ffff"


def starts_with(
    column: ColumnElement[Any] | InstrumentedAttribute[Any],
    prefix: str,
    *,
    past_prefix: bool = False,
) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, as a range the column's index answers (LIKE does
    not use an index on every database). ``past_prefix`` leaves out ``prefix`` itself."""
    low = column > prefix if past_prefix else column >= prefix
    return low & (column < prefix + PREFIX_END)


def utcnow() -> datetime:
    return datetime.now(UTC)
