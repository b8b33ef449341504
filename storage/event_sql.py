"""The SQL that runs for every event (``storage.unit``), written out once.

It is on the path of every message the bot answers, and building and caching the
equivalent ORM statements cost more than running them. Each is one round trip, and
the writes are upserts, so that none needs a read first. The same text serves SQLite
(3.35 and later, for RETURNING) and PostgreSQL; only PostgreSQL takes the advisory lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import JSON, Date, String, Text, TextClause, bindparam, text
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.selectable import TextualSelect
from sqlalchemy.types import TypeEngine

from storage.types import UTCDateTime

_BINDS: dict[str, BindParameter[Any]] = {
    "day": bindparam("day", type_=Date()),
    "now": bindparam("now", type_=UTCDateTime()),
    "state_cut": bindparam("state_cut", type_=UTCDateTime()),
    "private_cut": bindparam("private_cut", type_=UTCDateTime()),
    "data": bindparam("data", type_=JSON()),
}


def _typed(sql: str) -> TextClause:
    """``sql`` with the bound values above converted by their column types."""
    return text(sql).bindparams(*(bind for name, bind in _BINDS.items() if f":{name}" in sql))


#: Holds a conversation for the rest of the transaction (PostgreSQL).
LOCK = text("SELECT pg_advisory_xact_lock(:id)")


@cache
def claim_statement(private_keys: int) -> TextualSelect:
    """Claims the event and, only if it was new, returns the language, the live
    conversation's step and data (NULL data: none) and the live private flows ``p0``,
    ``p1``, ...: one statement on SQLite and PostgreSQL alike."""
    live = "WHERE key = :conversation AND updated_at >= :state_cut"
    privates = "".join(
        f", (SELECT sealed FROM private_flows WHERE key = :p{n} "
        f"AND updated_at >= :private_cut) AS p{n}"
        for n in range(private_keys)
    )
    claim = (
        "INSERT INTO processed_events (key, day) VALUES (:event, :day) "
        "ON CONFLICT DO NOTHING RETURNING "
        "(SELECT language FROM user_preferences WHERE key = :user) AS language, "
        f"(SELECT step FROM conversations {live}) AS step, "
        f"(SELECT data FROM conversations {live}) AS data" + privates
    )
    types: dict[str, TypeEngine[Any]] = {
        "language": String(),
        "step": String(),
        "data": JSON(),
        **{f"p{n}": Text() for n in range(private_keys)},
    }
    return _typed(claim).columns(**types)


@dataclass(frozen=True)
class SaveStatements:
    conversation: TextClause
    forget_conversation: TextClause
    private: TextClause
    forget_private: TextClause
    language: TextClause


SAVES = SaveStatements(
    conversation=_typed(
        "INSERT INTO conversations (key, step, data, updated_at) "
        "VALUES (:key, :step, :data, :now) ON CONFLICT (key) DO UPDATE "
        "SET step = excluded.step, data = excluded.data, updated_at = excluded.updated_at"
    ),
    forget_conversation=text("DELETE FROM conversations WHERE key = :key"),
    private=_typed(
        "INSERT INTO private_flows (key, sealed, updated_at) VALUES (:key, :sealed, :now) "
        "ON CONFLICT (key) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at"
    ),
    forget_private=text("DELETE FROM private_flows WHERE key = :key"),
    language=text(
        "INSERT INTO user_preferences (key, language) VALUES (:key, :language) "
        "ON CONFLICT (key) DO UPDATE SET language = excluded.language"
    ),
)
