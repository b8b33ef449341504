"""Checks and conversions of single values, shared by both formats.

Each function takes the raw value (text from CSV, a JSON value from Popolo) and the
field's name as the file spells it, and returns the typed value or raises
``FieldError`` with an English message such as "district_seats must be 1, 2 or 3, got '5'".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Container
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, Generic, ParamSpec, TypeVar, cast

from storage.models import Topic
from storage.search_keys import has_hanzi, simplified

from .records import PointRecord

KEY_LENGTH = 64
PERSON_NAME_LENGTH = 32
DISTRICT_NAME_LENGTH = 128
#: Election Law Art. 30: a joint nomination needs at least ten voters.
JOINT_NOMINATORS = 10


P = ParamSpec("P")
T = TypeVar("T")
R = TypeVar("R")


class FieldError(ValueError):
    """A value that cannot be accepted; the message names the field."""


class Errors(list[str]):
    """The errors of one record: each field is checked, so that all are reported at once."""

    def take(self, check: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``check(*args)``, or a placeholder after noting its error. A record built from
        placeholders is never used: ``result`` drops it."""
        try:
            return check(*args, **kwargs)
        except FieldError as error:
            self.append(str(error))
            return cast(T, None)

    def result(self, record: R) -> tuple[R | None, list[str]]:
        return (None, list(self)) if self else (record, [])


class Memo(Generic[T]):
    """A check of one field whose outcome is remembered per value, for columns whose
    values repeat (a vocabulary, a count, a platform shared by many lines): each
    distinct value is checked once. Checks are pure, so this changes no result.

    ``memo(errors, value, *more)`` is ``errors.take(check, value, field, *extra, *more)``.
    Past ``limit`` distinct values, new ones are checked but no longer remembered.
    """

    def __init__(
        self, check: Callable[..., T], field: str, *extra: Any, limit: int = 10_000
    ) -> None:
        self.check = check
        self.field = field
        self.extra = extra
        self.limit = limit
        self._seen: dict[Any, tuple[bool, Any]] = {}

    def __call__(self, errors: Errors, value: Any, *more: Any) -> T:
        key = (value, *more) if more else value
        outcome = self._seen.get(key)
        if outcome is None:
            try:
                outcome = (True, self.check(value, self.field, *self.extra, *more))
            except FieldError as error:
                outcome = (False, str(error))
            if len(self._seen) < self.limit:
                self._seen[key] = outcome
        ok, result = outcome
        if ok:
            return cast(T, result)
        errors.append(str(result))
        return cast(T, None)


def shown(value: Any) -> str:
    """A value as quoted in a message, cut short."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FieldError(f"{field} must be text, got {shown(value)}")
    return value.strip()


def required(value: Any, field: str, max_length: int) -> str:
    text = _text(value, field)
    if not text:
        raise FieldError(f"{field} is required")
    if len(text) > max_length:
        raise FieldError(f"{field} must be at most {max_length} characters, got {len(text)}")
    return text


def optional(value: Any, field: str) -> str:
    return _text(value, field)


def key(value: Any, field: str) -> str:
    """A stable key: required, at most 64 characters."""
    return required(value, field, KEY_LENGTH)


def choice(value: Any, field: str, allowed: type[StrEnum]) -> str:
    """One of a vocabulary of ``storage.models``."""
    text = _text(value, field)
    if not text:
        raise FieldError(f"{field} is required")
    if text not in allowed.__members__:
        names = ", ".join(allowed.__members__)
        raise FieldError(f"{field} must be one of {names}, got {shown(text)}")
    return text


def iso_date(value: Any, field: str) -> date | None:
    text = _text(value, field)
    if not text:
        return None
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise FieldError(f"{field} must be an ISO date (YYYY-MM-DD), got {shown(text)}") from None


def timestamp(value: Any, field: str) -> datetime | None:
    """An ISO date (midnight UTC) or date and time (UTC unless an offset is given)."""
    text = _text(value, field)
    if not text:
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise FieldError(
            f"{field} must be an ISO date or date and time "
            f"(YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ), got {shown(text)}"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _integer(value: Any, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise FieldError(f"{field} must be a whole number, got {shown(value)}")
    if isinstance(value, int):
        return value
    text = value.strip() if isinstance(value, str) else None
    if text is None or not text.isascii() or not text.lstrip("-").isdigit():
        raise FieldError(f"{field} must be a whole number, got {shown(value)}")
    return int(text)


def seats(value: Any, field: str) -> int:
    try:
        number = _integer(value, field)
    except FieldError:
        number = None
    if number not in (1, 2, 3):
        if value is None or value == "":
            raise FieldError(f"{field} is required")
        raise FieldError(f"{field} must be 1, 2 or 3, got {shown(value)}")
    return number


def positive(value: Any, field: str) -> int | None:
    number = _integer(value, field)
    if number is not None and number < 1:
        raise FieldError(f"{field} must be 1 or more, got {shown(value)}")
    return number


def nominators(value: Any, field: str, nomination: str | None) -> int | None:
    """A nominator count; at least ten for a joint nomination by voters."""
    count = _integer(value, field)
    if count is not None and count < 0:
        raise FieldError(f"{field} must be 0 or more, got {shown(value)}")
    if nomination == "voters_joint" and count is not None and count < JOINT_NOMINATORS:
        raise FieldError(
            f"{field} must be at least {JOINT_NOMINATORS} for a voters_joint nomination "
            f"(Election Law Art. 30), got {count}"
        )
    return count


def flag(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value, field).lower()
    if text in ("", "false"):
        return False
    if text == "true":
        return True
    raise FieldError(f"{field} must be true or false, got {shown(value)}")


def person_name(value: Any, field: str) -> str:
    """A name in characters, folded to Simplified."""
    text = required(value, field, PERSON_NAME_LENGTH)
    if not has_hanzi(text):
        raise FieldError(f"{field} must contain at least one Chinese character, got {shown(text)}")
    return text if all(map(_stays_simplified, text)) else simplified(text)


@lru_cache(maxsize=65536)
def _stays_simplified(char: str) -> bool:
    """Whether Simplified folding leaves a character as it is (names reuse few characters)."""
    return simplified(char) == char


def aliases(values: list[Any], field: str) -> tuple[str, ...]:
    """Other names in characters, in the order given, without repeats."""
    seen: dict[str, None] = {}
    for value in values:
        alias = person_name(value, field)
        seen.setdefault(alias)
    return tuple(seen)


def area_codes(values: list[Any], field: str, known: Container[str]) -> tuple[str, ...]:
    codes = {_text(value, field) for value in values} - {""}
    if not codes:
        raise FieldError(f"{field} is required")
    unknown = sorted(code for code in codes if code not in known)
    if unknown:
        raise FieldError(f"{field}: unknown area code {', '.join(map(repr, unknown))}")
    return tuple(sorted(codes))


def area_code(value: Any, field: str, known: Container[str]) -> str:
    code = required(value, field, 12)
    if code not in known:
        raise FieldError(f"{field}: unknown area code {shown(code)}")
    return code


_POINT_FIELDS = frozenset({"topic", "zh", "en"})


def platform(value: Any, field: str) -> tuple[PointRecord, ...]:
    """A list of ``{"topic", "zh", "en"}`` objects (already decoded from JSON)."""
    if not isinstance(value, list):
        raise FieldError(f'{field} must be a JSON list of {{"topic", "zh", "en"}} objects')
    points = []
    for index, item in enumerate(value):
        where = f"{field}[{index}]"
        if not isinstance(item, dict):
            raise FieldError(f"{where} must be an object, got {shown(item)}")
        extra = sorted(set(item) - _POINT_FIELDS)
        if extra:
            raise FieldError(f"{where} has unknown field {', '.join(map(repr, extra))}")
        topic = choice(item.get("topic"), f"{where}.topic", Topic)
        zh, en = _text(item.get("zh"), f"{where}.zh"), _text(item.get("en"), f"{where}.en")
        points.append(PointRecord(topic, zh, en))
    return tuple(points)


def platform_json(text: str, field: str) -> tuple[PointRecord, ...] | None:
    """The CSV cell: empty for no platform, else JSON."""
    if not text.strip():
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FieldError(f"{field} is not valid JSON ({exc.msg} at character {exc.pos})") from None
    return platform(value, field)
