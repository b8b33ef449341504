"""The outbox, on SQLite and PostgreSQL: most urgent first; a failing message retried
with a growing pause and then given up with its reason, never blocking the ones behind
it; a malformed one failed at once; a chat that is gone loses its subscriptions; the
operator's status and retry."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.base import Undeliverable
from bot.adapters.memory import MemoryAdapter
from bot.core.events import ChatRef
from bot.core.replies import Reply
from bot.delivery import OutboxPump
from storage.db import make_engine, upgrade
from storage.models import OutboxKind, OutboxMessage, Subscription
from storage.outbox import IN_INDEX_ORDER, Refused, claim, drain, enqueue, retry_failed, status
from storage.subscriptions import subscribe
from storage.types import utcnow
from storage.unit import unit_factory


class Flaky(MemoryAdapter):
    """Refuses or fails for the chats named, as a platform would."""

    def __init__(self) -> None:
        super().__init__()
        self.failing: dict[str, Exception] = {}

    async def send(self, chat: ChatRef, reply: Reply) -> str:
        problem = self.failing.get(chat.id)
        if problem is not None:
            raise problem
        return await super().send(chat, reply)


@pytest.fixture
async def engine_with_areas(db_url: str) -> AsyncIterator[object]:
    from storage.dataset import load_dataset, read_packaged

    engine = make_engine(db_url)
    async with unit_factory(engine)() as unit:
        await load_dataset(unit.session, read_packaged())
    yield engine
    await engine.dispose()


async def _queue(engine: object, *items: tuple[str, str, OutboxKind]) -> None:
    async with unit_factory(engine)() as unit:  # type: ignore[arg-type]
        for chat, text, kind in items:
            await enqueue(unit.session, "memory", chat, Reply.of(text).to_json(), kind)


async def _rows(engine: object) -> list[tuple[str, int, str | None]]:
    async with unit_factory(engine)() as unit:  # type: ignore[arg-type]
        rows = await unit.session.execute(
            select(OutboxMessage.chat_id, OutboxMessage.attempts, OutboxMessage.failed)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_replies_then_announcements_then_alerts_then_broadcasts(
    engine_with_areas: object,
) -> None:
    await _queue(
        engine_with_areas,
        ("c1", "broadcast", OutboxKind.broadcast),
        ("c2", "alert", OutboxKind.alert),
        ("c3", "announcement", OutboxKind.announcement),
        ("c4", "reply", OutboxKind.reply),
    )
    adapter = Flaky()
    assert await OutboxPump(engine_with_areas, adapter).once() == 4  # type: ignore[arg-type]
    order = [sent.reply.text.plain for sent in adapter.sent]
    assert order == ["reply", "announcement", "alert", "broadcast"]


async def test_a_failing_message_waits_and_blocks_nothing_behind_it(
    engine_with_areas: object,
) -> None:
    await _queue(
        engine_with_areas,
        ("down", "first", OutboxKind.alert),
        ("up", "second", OutboxKind.alert),
    )
    adapter = Flaky()
    adapter.failing["down"] = RuntimeError("network")
    pump = OutboxPump(engine_with_areas, adapter)  # type: ignore[arg-type]
    assert await pump.once() == 1
    assert [sent.chat.id for sent in adapter.sent] == ["up"]
    assert await _rows(engine_with_areas) == [("down", 1, None)]
    assert await pump.once() == 0, "it waits out its pause"
    del adapter.failing["down"]

    async def send(chat_id: str, body: dict[str, object]) -> None:
        await adapter.send(ChatRef("memory", chat_id, private=False), Reply.from_json(body))

    later = await drain(
        engine_with_areas,  # type: ignore[arg-type]
        "memory",
        send,
        now=lambda: utcnow() + timedelta(seconds=3),
    )
    assert later == 1 and await _rows(engine_with_areas) == []


async def test_a_message_that_keeps_failing_is_given_up_with_its_reason(
    engine_with_areas: object,
) -> None:
    await _queue(engine_with_areas, ("down", "hello", OutboxKind.alert))

    async def send(chat_id: str, body: dict[str, object]) -> None:
        raise TimeoutError

    for attempt in range(3):
        await drain(
            engine_with_areas,  # type: ignore[arg-type]
            "memory",
            send,
            max_attempts=3,
            now=lambda attempt=attempt: utcnow() + timedelta(hours=attempt),
        )
    assert await _rows(engine_with_areas) == [("down", 3, "gave up after 3 attempts: TimeoutError")]
    async with unit_factory(engine_with_areas)() as unit:  # type: ignore[arg-type]
        counts = await status(unit.session)
        assert [(c.kind, c.waiting, c.failed) for c in counts] == [("alert", 0, 1)]
        assert await retry_failed(unit.session) == 1
    assert await _rows(engine_with_areas) == [("down", 0, None)]


async def test_a_malformed_message_is_failed_at_once(engine_with_areas: object) -> None:
    async with unit_factory(engine_with_areas)() as unit:  # type: ignore[arg-type]
        await enqueue(unit.session, "memory", "c1", {"spans": [["only one part"]]})
        await enqueue(unit.session, "memory", "c2", {"nothing": "here"})
    adapter = Flaky()
    assert await OutboxPump(engine_with_areas, adapter).once() == 0  # type: ignore[arg-type]
    rows = sorted(await _rows(engine_with_areas))
    assert rows == [
        ("c1", 0, "malformed payload: ValueError"),
        ("c2", 0, "malformed payload: nothing to say"),
    ]


async def test_a_chat_that_is_gone_loses_its_subscriptions(engine_with_areas: object) -> None:
    async with unit_factory(engine_with_areas)() as unit:  # type: ignore[arg-type]
        await subscribe(unit.session, "memory", "gone", "110108", "en")
        await subscribe(unit.session, "memory", "stays", "110108", "en")
    await _queue(engine_with_areas, ("gone", "alert", OutboxKind.alert))
    adapter = Flaky()
    adapter.failing["gone"] = Undeliverable("forbidden: blocked or left", gone=True)
    await OutboxPump(engine_with_areas, adapter).once()  # type: ignore[arg-type]
    assert await _rows(engine_with_areas) == [("gone", 0, "forbidden: blocked or left")]
    async with unit_factory(engine_with_areas)() as unit:  # type: ignore[arg-type]
        chats = list(await unit.session.scalars(select(Subscription.chat_id)))
    assert chats == ["stays"]


def test_the_operator_sees_and_retries_failures(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.sqlite'}"

    async def prepare() -> None:
        engine = make_engine(url)
        await upgrade(engine)
        async with unit_factory(engine)() as unit:
            await enqueue(unit.session, "telegram", "1", {"nothing": "here"})
            await enqueue(unit.session, "telegram", "2", Reply.of("hi").to_json())

        async def send(chat_id: str, body: dict[str, object]) -> None:
            if chat_id == "1":
                raise Refused("malformed payload: nothing to say")

        await drain(engine, "telegram", send)
        await engine.dispose()

    asyncio.run(prepare())
    candibot = [sys.executable, "-m", "bot.cli"]
    shown = subprocess.run([*candibot, "outbox", "status", "--db", url], capture_output=True,
                           text=True, check=True).stdout  # fmt: skip
    assert "telegram   announcement         0        1" in shown
    assert "failed: telegram announcement: malformed payload: nothing to say" in shown
    retried = subprocess.run([*candibot, "outbox", "retry", "--failed", "--db", url],
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "queued 1 failed messages again" in retried


async def test_the_pump_gives_up_after_the_configured_attempts(engine_with_areas: object) -> None:
    await _queue(engine_with_areas, ("down", "hello", OutboxKind.alert))
    adapter = Flaky()
    adapter.failing["down"] = ConnectionError("refused")
    await OutboxPump(engine_with_areas, adapter, attempts=1).once()  # type: ignore[arg-type]
    assert await _rows(engine_with_areas) == [
        ("down", 1, "gave up after 1 attempts: ConnectionError")
    ]


async def test_messages_to_one_chat_keep_their_order_while_one_waits(
    engine_with_areas: object,
) -> None:
    """Several senders work at once; the second message to a chat whose first is slow
    (waiting for its turn, say) waits for it rather than overtake it."""
    await _queue(
        engine_with_areas,
        ("room", "first", OutboxKind.announcement),
        ("room", "second", OutboxKind.announcement),
        ("other", "elsewhere", OutboxKind.announcement),
    )

    class Slow(Flaky):
        async def send(self, chat: ChatRef, reply: Reply) -> str:
            if reply.text.plain == "first":
                await asyncio.sleep(0.2)
            return await super().send(chat, reply)

    adapter = Slow()
    assert await OutboxPump(engine_with_areas, adapter).once() == 3  # type: ignore[arg-type]
    order = [sent.reply.text.plain for sent in adapter.sent]
    assert order.index("first") < order.index("second")
    assert order[0] == "elsewhere", "the other chat did not wait"


async def test_a_claim_reads_the_queue_in_index_order_even_with_stale_statistics(
    engine_with_areas: object, db_url: str
) -> None:
    """A broadcast fills an outbox that PostgreSQL's statistics still call empty. The
    planner would then sort every waiting message for each claim (2.5 s at 100,000);
    the claiming transaction leaves it only the ordered read of the queue's index."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has no statistics until ANALYZE, and reads the index")
    engine: AsyncEngine = engine_with_areas  # type: ignore[assignment]
    body = Reply.of("选举日改了。" * 80).to_json()  # an alert's length
    async with engine.begin() as connection:
        await connection.execute(text("ANALYZE outbox"))  # while it is empty
        await connection.execute(
            insert(OutboxMessage),
            [{"platform": "telegram", "chat_id": str(n), "body": body, "kind": "alert",
              "priority": 2} for n in range(3000)],
        )  # fmt: skip
    compiled = claim("telegram", utcnow()).compile(
        dialect=engine.dialect, compile_kwargs={"literal_binds": True}
    )

    async def plan(*settings: Any) -> str:
        async with engine.begin() as connection:
            for setting in settings:
                await connection.execute(setting)
            rows = await connection.execute(text(f"EXPLAIN {compiled}"))
            return "\n".join(row[0] for row in rows)

    assert "Sort" in await plan(), "the stale statistics would have the queue sorted"
    claiming = await plan(IN_INDEX_ORDER)
    assert "Index Scan using ix_outbox_queue" in claiming and "Sort" not in claiming
