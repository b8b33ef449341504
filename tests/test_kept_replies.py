"""Replies decided by a committed event survive a crash before they are sent: the
event delivered again sends them (``bot.core.kept``). Those of a private flow never
reach the database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.app import App, build_app
from bot.core.ephemeral import MemoryEphemeral
from bot.core.events import ChatRef, Event, SenderRef, event_from_text
from bot.core.replies import Reply
from handlers.policy import Policy, ReportSetup
from storage.crypto import ModeratorKeys, generate
from storage.models import ProcessedEvent
from storage.receipts import ReceiptHasher
from storage.reports import Caps
from storage.unit import unit_factory
from tests.conftest import FIXED_NOW, TEST_KEY
from tests.helpers import payloads, texts

CHAT = ChatRef("memory", "4242", True)
SENDER = SenderRef("memory", "4242")


class Killed(Exception):
    """Stands for the process dying while the reply is on its way."""


def said(text: str, event_id: str, language: str = "zh-hans") -> Event:
    return event_from_text(text, chat=CHAT, sender=SENDER, language=language, event_id=event_id)


async def killed_while_sending(app: App, event: Event) -> None:
    async def dies(reply: Reply) -> None:
        raise Killed

    with pytest.raises(Killed):
        await app.dispatcher.handle(event, dies)


async def delivered(app: App, event: Event) -> list[Reply]:
    out: list[Reply] = []

    async def send(reply: Reply) -> None:
        out.append(reply)

    await app.dispatcher.handle(event, send)
    return out


async def kept_rows(app: App) -> list[str]:
    async with unit_factory(app.engine)() as unit:
        rows = await unit.session.scalars(
            select(ProcessedEvent.replies).where(ProcessedEvent.replies.is_not(None))
        )
        return list(rows)


def reporting_policy() -> Policy:
    hasher = ReceiptHasher(b"s" * 16, time_cost=1, memory_kib=8)
    keys = ModeratorKeys(generate().public_key, None)
    return Policy(clock=lambda: FIXED_NOW, reports=ReportSetup(keys, hasher, Caps()))


@pytest.fixture
async def restarted(app: App, db_url: str) -> AsyncIterator[App]:
    """A second process on the same database, with nothing of the first in memory."""
    second = await build_app(db_url, TEST_KEY, migrate=False, policy=reporting_policy())
    yield second
    await second.close()


@pytest.fixture
async def reporting(app: App, db_url: str) -> AsyncIterator[App]:
    first = await build_app(db_url, TEST_KEY, migrate=False, policy=reporting_policy())
    yield first
    await first.close()


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [("/search 曾立新", "zh-hans", "曾立新"), ("/start", "en", "Welcome to candibot")],
)
async def test_a_reply_lost_to_a_crash_after_commit_is_sent_when_the_event_comes_back(
    app: App, restarted: App, text: str, language: str, expected: str
) -> None:
    await killed_while_sending(app, said(text, "e1", language))

    again = await delivered(restarted, said(text, "e1", language))

    assert again and expected in texts(again)
    # Handled once: the second delivery sent what the first decided, and a third
    # finds it sent.
    assert await delivered(restarted, said(text, "e1", language)) == []


async def test_a_reply_sent_is_forgotten_and_not_sent_again(app: App, restarted: App) -> None:
    assert await delivered(app, said("/search 曾立新", "e2"))
    await app.dispatcher.close()  # what the second's batch would do

    assert await kept_rows(app) == []
    assert await delivered(restarted, said("/search 曾立新", "e2")) == []


async def test_sent_replies_are_forgotten_within_a_second_without_a_close(app: App) -> None:
    assert await delivered(app, said("/search 曾立新", "e3"))

    for _ in range(50):
        if not await kept_rows(app):
            break
        await asyncio.sleep(0.1)
    assert await kept_rows(app) == []


async def test_a_kept_reply_is_sealed_and_names_neither_chat_nor_text(app: App) -> None:
    await killed_while_sending(app, said("/search 曾立新", "e4"))

    [sealed] = await kept_rows(app)
    assert "曾立新" not in sealed and "4242" not in sealed
    assert "曾立新".encode() not in sealed.encode() and "spans" not in sealed


async def test_a_reply_to_another_chat_cannot_be_opened_with_a_guessed_event(
    app: App, restarted: App
) -> None:
    await killed_while_sending(app, said("/search 曾立新", "e5"))

    other = event_from_text(
        "/search 曾立新",
        chat=ChatRef("memory", "999", True),
        sender=SenderRef("memory", "999"),
        language="zh-hans",
        event_id="e5",
    )
    # Same event id, another chat: the record says handled, the seal does not open.
    assert await delivered(restarted, other) == []


async def test_the_replies_of_a_report_step_never_reach_the_database(
    reporting: App, restarted: App
) -> None:
    assert "rpt:go" in payloads(await delivered(reporting, said("/report", "r1")))
    await killed_while_sending(reporting, said("/report", "r2"))

    assert await kept_rows(reporting) == []
    # This process's memory died with it: the step's reply is lost, the draft is not
    # on disk either, and the next message says so (docs/TELEGRAM.md).
    assert await delivered(restarted, said("/report", "r2")) == []


async def test_a_report_steps_reply_is_sent_by_the_next_worker_sharing_the_store(
    db_url: str, app: App
) -> None:
    shared = MemoryEphemeral()  # stands for Redis, which outlives a worker
    first = await build_app(db_url, TEST_KEY, migrate=False, policy=reporting_policy(),
                            ephemeral=shared)  # fmt: skip
    second = await build_app(db_url, TEST_KEY, migrate=False, policy=reporting_policy(),
                             ephemeral=shared)  # fmt: skip
    try:
        await killed_while_sending(first, said("/report", "r3"))
        again = await delivered(second, said("/report", "r3"))
        assert "rpt:go" in payloads(again) and await kept_rows(first) == []
    finally:
        await first.close()
        await second.close()
