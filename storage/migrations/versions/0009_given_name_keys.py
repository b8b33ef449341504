"""name search: keys for a given name alone, filled in for every person

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 02:30:00

"立新" or "lixin" alone now finds 曾立新: each person gets a ``given_hanzi`` and a
``given_pinyin`` key (storage.search_keys.given_name_keys), here for the persons already
stored; imports and the demo data write them from now on.
"""

from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.search_keys import given_name_keys, simplified

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECK = "ck_person_search_keys_kind_allowed"
INDEX = "ix_person_search_keys_key"
BEFORE = "kind IN ('hanzi', 'pinyin', 'initials')"
AFTER = "kind IN ('hanzi', 'pinyin', 'initials', 'given_hanzi', 'given_pinyin')"
#: Persons read, keyed and written at a time: memory stays flat however many there are.
BATCH = 20_000

persons = sa.table(
    "persons", sa.column("id", sa.Integer), sa.column("name"), sa.column("aliases", sa.JSON)
)
keys = sa.table(
    "person_search_keys",
    sa.column("person_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("key", sa.String),
)


def _check(condition: str) -> None:
    with op.batch_alter_table("person_search_keys") as batch:
        batch.drop_constraint(op.f(CHECK), type_="check")
        batch.create_check_constraint(op.f(CHECK), condition)


@lru_cache(maxsize=65536)
def _stays(char: str) -> bool:
    return simplified(char) == char


def _simple(name: str) -> str:
    """Names are stored in Simplified characters already; folding each again would
    cost more than the rest of the migration."""
    name = name.strip()
    return name if all(map(_stays, name)) else simplified(name)


def _rows(batch: Sequence[Any]) -> Iterator[dict[str, Any]]:
    for person_id, name, aliases in batch:
        seen: set[tuple[str, str]] = set()
        for spelling in (name, *(aliases or ())):
            seen.update((key.kind.value, key.key) for key in given_name_keys(_simple(spelling)))
        for kind, key in sorted(seen):
            yield {"person_id": person_id, "kind": kind, "key": key}


def upgrade() -> None:
    connection = op.get_bind()
    postgresql = connection.dialect.name == "postgresql"
    if postgresql:  # memory for the index build, for this transaction only
        op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    # The key index is built again once the keys are in, in one sorted pass, rather than
    # taking tens of millions of random inserts (national scale: 5 million persons).
    op.drop_index(INDEX, table_name="person_search_keys")
    _check(AFTER)
    last = 0
    while True:
        batch = connection.execute(
            sa.select(persons.c.id, persons.c.name, persons.c.aliases)
            .where(persons.c.id > last)
            .order_by(persons.c.id)
            .limit(BATCH)
        ).all()
        if not batch:
            break
        rows = list(_rows(batch))
        if rows:
            connection.execute(sa.insert(keys), rows)
        last = batch[-1][0]
    op.create_index(INDEX, "person_search_keys", ["key", "person_id"])
    if postgresql:  # plan searches for the keys now stored
        op.execute("ANALYZE person_search_keys")


def downgrade() -> None:
    op.execute(keys.delete().where(keys.c.kind.in_(["given_hanzi", "given_pinyin"])))
    _check(BEFORE)
