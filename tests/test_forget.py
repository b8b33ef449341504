"""Issue 15, item 4: /forget deletes everything the bot keeps about the sender, a
candidate's claim only after Yes, and says what it cannot delete. Afterwards no row of
any table, no file beside the database and no log line names the sender."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, func, select
from sqlalchemy.engine import make_url

from bot.adapters.memory import MemoryAdapter
from bot.app import App
from bot.core.ephemeral import MemoryEphemeral
from bot.core.events import ChatRef, SenderRef
from bot.core.i18n import Catalogs
from bot.core.identity import Identity
from handlers.alerts import FORGET_TOO
from handlers.forget import AUDIT, DELETED, REPORTS
from storage.models import (
    AuditEntry,
    CandidateAccount,
    Conversation,
    OutboxMessage,
    ProcessedEvent,
    Subscription,
)
from storage.retention import Retention, purge
from storage.types import utcnow
from storage.unit import unit_factory
from tests.conftest import TEST_KEY
from tests.helpers import payloads, texts
from tests.staffed import ALICE, CAROL, GROUP, attached, say_in, staffed_app

#: Not hex, so it can never turn up inside a pseudonym or a hash by chance.
SENDER = "forget-me-zq7731"
OTHER = "stays-put-zq5512"
_ = Catalogs().gettext("en")


@pytest.fixture
async def app(db_url: str) -> AsyncIterator[App]:
    app = await staffed_app(db_url)
    yield app
    await app.close()


@pytest.fixture
def chat(app: App) -> MemoryAdapter:
    return attached(app)


async def _claim(chat: MemoryAdapter, user: str, number: int = 1) -> None:
    issued = texts(await chat.say(f"/verify {number}", user=ALICE))
    code = next(line for line in issued.splitlines() if len(line) == 11 and line[5] == "-")
    assert "now speaks for" in texts(await chat.say(f"/claim {code}", user=user))


def _traces(sender: str) -> dict[str, str]:
    identity = Identity(TEST_KEY)
    who = SenderRef("memory", sender)
    return {
        "raw id": sender,
        "pseudonym": identity.user_key(who),
        "chat pseudonym": identity.conversation_key(ChatRef("memory", sender), who),
        "group chat pseudonym": identity.conversation_key(GROUP, who),
    }


async def _every_value(app: App) -> list[tuple[str, str]]:
    """(table, value as text) for every column of every row of every table the database
    has, read from the database itself rather than from our models."""
    tables = MetaData()
    async with app.engine.connect() as connection:
        await connection.run_sync(tables.reflect)
        found = []
        for table in tables.sorted_tables:
            for row in await connection.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes | bytearray | memoryview):
                        found.append((table.name, bytes(value).decode("latin-1")))
                    elif value is not None:
                        found.append((table.name, str(value)))
    return found


async def _files_of(app: App) -> list[Path]:
    url = make_url(app.engine.url)
    if url.get_backend_name() != "sqlite" or not url.database:
        return []
    return [path for path in Path(url.database).parent.iterdir() if path.is_file()]


async def _count(app: App, model: type, *where: Any) -> int:
    async with app.engine.connect() as connection:
        found = await connection.scalar(select(func.count()).select_from(model).where(*where))
        return int(found or 0)


async def test_forget_leaves_no_row_file_or_log_line_that_names_the_sender(
    app: App, chat: MemoryAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # Every statement the database runs is logged too (their parameters are never).
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    url = make_url(app.engine.url)
    if url.get_backend_name() == "sqlite":  # the key files live beside the database
        folder = Path(str(url.database)).parent
        (folder / "identity.key").write_bytes(TEST_KEY.hex().encode())
        (folder / "audit.key").write_bytes(bytes(range(32, 64)).hex().encode())
    # Everything a person can leave behind: a language, a followed place and an alert
    # waiting for it, a claim and an update, a refused attempt, a flow left open in a
    # group and in private, and a report's draft.
    await chat.say("/language en", user=SENDER)
    assert _(FORGET_TOO) in texts(await chat.say("/subscribe 西湖区", user=SENDER))
    await chat.say("/setdate 西湖区 2027-01-10", user=ALICE)
    await _claim(chat, SENDER)
    await chat.press("upd:statement", user=SENDER)
    await chat.say("I will publish the district's budget every month.", user=SENDER)
    await chat.say("/queue", user=SENDER)
    await say_in(chat, GROUP, "/search", user=SENDER)
    await chat.say("/search", user=SENDER)
    await chat.say("/report", user=SENDER)
    await chat.press("rpt:go", user=SENDER)
    # Someone else, who must keep everything.
    await chat.say("/language en", user=OTHER)
    await chat.say("/subscribe 西湖区", user=OTHER)
    traces = _traces(SENDER)
    before = "\n".join(value for _, value in await _every_value(app))
    for what in ("raw id", "pseudonym", "chat pseudonym", "group chat pseudonym"):
        assert traces[what] in before, f"the scenario leaves the {what} behind to delete"
    assert await _count(app, OutboxMessage, OutboxMessage.chat_id == SENDER) > 0

    in_group = texts(await say_in(chat, GROUP, "/forget", user=SENDER))
    assert "they are the group's" in in_group and not payloads(
        await say_in(chat, GROUP, "/forget", user=SENDER)
    ), "a group hears nothing of a claim"
    asked = await chat.say("/forget", user=SENDER)
    assert _(DELETED) in texts(asked) and _(REPORTS) in texts(asked) and _(AUDIT) in texts(asked)
    assert "Deleted: the places this chat followed (1)" in texts(asked)
    assert payloads(asked) == ["forget:yes", "forget:no"]
    done = texts(await chat.press("forget:yes", user=SENDER))
    assert "no longer speaks for" in done

    # Sent replies are forgotten at once, and nothing sits in the ephemeral store.
    assert await _count(app, ProcessedEvent, ProcessedEvent.replies.is_not(None)) == 0
    ephemeral = app.ephemeral
    assert isinstance(ephemeral, MemoryEphemeral) and ephemeral.count("draft:") == 0
    values = await _every_value(app)
    for table, value in values:
        for what, trace in traces.items():
            assert trace not in value, f"{what} in {table}: {value[:200]}"
    assert any(OTHER in value for _, value in values), "someone else's rows stay"
    for path in await _files_of(app):  # the write-ahead log was folded in by /forget
        data = path.read_bytes()
        for what, trace in traces.items():
            assert trace.encode() not in data, f"{what} in {path.name}"
    logged = caplog.text + "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert len(caplog.records) > 100, "something was logged to look through"
    for what, trace in traces.items():
        assert trace not in logged, f"{what} in a log line"
    # The file once everything is closed, too.
    files = await _files_of(app)
    await app.engine.dispose()
    for path in files:
        if path.exists():
            assert SENDER.encode() not in path.read_bytes(), path.name


async def test_forget_keeps_the_claim_when_the_candidate_says_no(
    app: App, chat: MemoryAdapter
) -> None:
    await _claim(chat, SENDER)
    await chat.say("/forget", user=SENDER)
    kept = texts(await chat.press("forget:no", user=SENDER))
    assert "Kept: your account still speaks for" in kept
    assert "Nothing is waiting for review." in texts(await chat.say("/myprofile", user=SENDER))
    # The question was answered: pressing again does nothing.
    assert "expired" in texts(await chat.press("forget:yes", user=SENDER))
    assert await _count(app, CandidateAccount) == 1


async def test_a_forged_yes_without_forget_deletes_no_claim(app: App, chat: MemoryAdapter) -> None:
    await _claim(chat, SENDER)
    assert "expired" in texts(await chat.press("forget:yes", user=SENDER))
    # Nor can someone else answer the question asked of another.
    await _claim(chat, OTHER, number=2)
    await chat.say("/forget", user=SENDER)
    assert "expired" in texts(await chat.press("forget:yes", user=OTHER))
    assert await _count(app, CandidateAccount) == 2


async def test_forget_in_a_group_leaves_the_groups_followed_places(
    app: App, chat: MemoryAdapter
) -> None:
    followed = texts(await say_in(chat, GROUP, "/subscribe 西湖区", user=SENDER))
    assert _(FORGET_TOO) not in followed, "one member's /forget does not stop a group's alerts"
    said = texts(await say_in(chat, GROUP, "/forget", user=SENDER))
    assert "/unsubscribe stops them" in said
    assert await _count(app, Subscription) == 1


async def test_a_moderator_is_told_an_administrator_must_remove_them(
    app: App, chat: MemoryAdapter
) -> None:
    said = texts(await chat.say("/forget", user=ALICE))
    assert "only an administrator can remove it (/mods remove)" in said
    assert "Your role as moderator" in said and _(AUDIT) not in said
    assert "Your role as administrator" in texts(await chat.say("/forget", user=CAROL))
    assert "You are signed in as a moderator." in texts(await chat.say("/start", user=ALICE))


async def test_forget_answers_in_chinese(app: App, chat: MemoryAdapter) -> None:
    said = texts(await chat.say("/forget", user=SENDER, language="zh-hans"))
    zh = Catalogs().gettext("zh_CN")
    assert zh(DELETED) in said and zh(REPORTS) in said and zh(DELETED) != DELETED


async def test_the_audit_log_names_no_candidate(app: App, chat: MemoryAdapter) -> None:
    await _claim(chat, SENDER)
    await chat.press("upd:statement", user=SENDER)
    await chat.say("I will publish the district's budget every month.", user=SENDER)
    await chat.say("/forget", user=SENDER)
    await chat.press("forget:yes", user=SENDER)
    async with app.engine.connect() as connection:
        rows = list(await connection.execute(select(AuditEntry.actor, AuditEntry.action)))
    assert ("candidate", "claim") in rows and ("candidate", "propose_statement") in rows
    assert ("candidate", "give_up_claim") in rows
    assert all(SENDER not in actor for actor, _ in rows)


async def test_the_purge_deletes_conversations_that_ended(app: App, chat: MemoryAdapter) -> None:
    """/forget cannot find a conversation in another chat (its key needs that chat's id);
    such a row goes by itself once the conversation has ended."""
    await say_in(chat, GROUP, "/search", user=SENDER)
    assert await _count(app, Conversation) == 1
    async with unit_factory(app.engine)() as unit:
        await purge(unit.session, utcnow() + timedelta(hours=1), Retention())
    assert await _count(app, Conversation) == 1, "a live conversation stays"
    async with unit_factory(app.engine)() as unit:
        await purge(unit.session, utcnow() + timedelta(hours=25), Retention())
    assert await _count(app, Conversation) == 0
