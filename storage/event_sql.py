"""The SQL that runs for every event (``storage.unit``), written out once.

It is on the path of every message the bot answers, and building and caching the
equivalent ORM statements cost more than running them. Each is one round trip, and
the writes are upserts, so that none needs a read first. The same text serves SQLite
(3.35 and later, for RETURNING) and PostgreSQL; only PostgreSQL takes the advisory lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Date, String, TextClause, bindparam, text
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.selectable import TextualSelect
from sqlalchemy.types import TypeEngine

from storage.types import UTCDateTime

_BINDS: dict[str, BindParameter[Any]] = {
    "day": bindparam("day", type_=Date()),
    "now": bindparam("now", type_=UTCDateTime()),
    "state_cut": bindparam("state_cut", type_=UTCDateTime()),
    "data": bindparam("data", type_=JSON()),
}


def _typed(sql: str) -> TextClause:
    """``sql`` with the bound values above converted by their column types."""
    return text(sql).bindparams(*(bind for name, bind in _BINDS.items() if f":{name}" in sql))


#: Holds a conversation for the rest of the transaction (PostgreSQL).
LOCK = text("SELECT pg_advisory_xact_lock(:id)")


def _claim_statement() -> TextualSelect:
    """Claims the event and, only if it was new, returns the language and the live
    conversation's step and data (NULL data: none): one statement on SQLite and
    PostgreSQL alike."""
    live = "WHERE key = :conversation AND updated_at >= :state_cut"
    claim = (
        "INSERT INTO processed_events (key, day) VALUES (:event, :day) "
        "ON CONFLICT DO NOTHING RETURNING "
        "(SELECT language FROM user_preferences WHERE key = :user) AS language, "
        f"(SELECT step FROM conversations {live}) AS step, "
        f"(SELECT data FROM conversations {live}) AS data"
    )
    types: dict[str, TypeEngine[Any]] = {"language": String(), "step": String(), "data": JSON()}
    return _typed(claim).columns(**types)


CLAIM = _claim_statement()


@dataclass(frozen=True)
class SaveStatements:
    conversation: TextClause
    forget_conversation: TextClause
    language: TextClause
    forget_language: TextClause
    keep_replies: TextClause
    kept_replies: TextClause
    forget_replies: TextClause


SAVES = SaveStatements(
    conversation=_typed(
        "INSERT INTO conversations (key, step, data, updated_at) "
        "VALUES (:key, :step, :data, :now) ON CONFLICT (key) DO UPDATE "
        "SET step = excluded.step, data = excluded.data, updated_at = excluded.updated_at"
    ),
    forget_conversation=text("DELETE FROM conversations WHERE key = :key"),
    language=text(
        "INSERT INTO user_preferences (key, language) VALUES (:key, :language) "
        "ON CONFLICT (key) DO UPDATE SET language = excluded.language"
    ),
    forget_language=text("DELETE FROM user_preferences WHERE key = :key"),
    keep_replies=text("UPDATE processed_events SET replies = :replies WHERE key = :key"),
    kept_replies=text("SELECT replies FROM processed_events WHERE key = :key"),
    forget_replies=text(
        "UPDATE processed_events SET replies = NULL WHERE key = :key AND replies IS NOT NULL"
    ),
)
