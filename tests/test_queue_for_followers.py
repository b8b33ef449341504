"""Alerts for many followers are queued as one statement, on SQLite and PostgreSQL: a date
change told to 300 chats is one INSERT … SELECT into the outbox, each chat gets one message
(also one that follows the county and a township in it), in the language of its first
subscription there."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.replies import Reply
from storage.models import OutboxKind, OutboxMessage
from storage.subscriptions import subscribe
from storage.unit import unit_factory
from tests.followers import ENGLISH_EVERY, FIRST_CHAT, announce_new_day, follow

FOLLOWERS = 300
LIDU = "360124101"  # a township of the county


async def test_a_date_change_for_many_followers_is_one_insert_one_message_each(
    demo_engine: AsyncEngine,
) -> None:
    await follow(demo_engine, FOLLOWERS)
    async with unit_factory(demo_engine)() as unit:
        # The first follower also follows a township: still one message, in Chinese,
        # the language of its first subscription, though this one says English.
        await subscribe(unit.session, "telegram", str(FIRST_CHAT + 1), LIDU, "en")
    inserts: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX"):
            inserts.append(statement)

    event.listen(demo_engine.sync_engine, "before_cursor_execute", count)
    try:
        queued, _ = await announce_new_day(demo_engine)
    finally:
        event.remove(demo_engine.sync_engine, "before_cursor_execute", count)
    assert queued == FOLLOWERS and len(inserts) == 1
    assert "SELECT" in inserts[0].upper(), "the followers are read by the INSERT itself"
    async with unit_factory(demo_engine)() as unit:
        rows = (await unit.session.execute(select(OutboxMessage))).scalars().all()
    assert sorted(int(row.chat_id) for row in rows) == list(
        range(FIRST_CHAT, FIRST_CHAT + FOLLOWERS)
    )
    for row in rows:
        assert (row.kind, row.attempts, row.failed, row.not_before) == (
            OutboxKind.alert, 0, None, None,
        )  # fmt: skip
        text = Reply.from_json(row.body).text.plain
        english = (int(row.chat_id) - FIRST_CHAT) % ENGLISH_EVERY == 0
        heading = "Election news for 进贤县" if english else "进贤县选举消息"
        assert text.startswith(heading), (row.chat_id, text)
