"""Issue 15, item 7: ``CANDIBOT_LOG_FORMAT=json`` writes one JSON object a line, and no
line of a report flow, a moderation action, a failing handler or a web visit holds a
platform id, a pseudonym, a chat id, a client's address, a receipt or a word a user
typed, even at DEBUG; on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from bot.adapters.memory import MemoryAdapter
from bot.app import App
from bot.core.events import ChatRef, SenderRef
from bot.core.identity import Identity
from bot.observability.logs import DATA_LOGGERS, configure
from storage.models import StaffRole
from storage.roles import add_staff
from storage.unit import unit_factory
from tests.conftest import TEST_KEY
from tests.helpers import payloads, texts
from tests.staffed import attached, staffed_app
from tests.web.client import WebClient
from tests.web.conftest import serving

REPORTER, MODERATOR = "5550172839", "7770012345"
DESCRIPTION = "昨天晚上有人打电话威胁我的家人 threatening-phrase-xyz"
SUMMARY = "A candidate's family received threatening calls, summary-words-xyz."
SEARCHED = "zeng lixin"
WEB_WORDS = "web-typed-words-xyz"
#: The client's own address (loopback, so no traffic leaves the machine) and the one a
#: proxy would name; neither may be written down.
CLIENT, FORWARDED = "127.0.0.3", "198.51.100.23"
AGENT = "Distinctive-Agent/9.9 (candibot-json-test)"
FIELDS = {"time", "level", "logger", "message"}


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """The process's logging as ``candibot`` sets it up for CANDIBOT_LOG_FORMAT=json at
    DEBUG, into a buffer; the previous levels come back afterwards."""
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", *DATA_LOGGERS)}
    stream = io.StringIO()
    handler = configure("DEBUG", "json", stream)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


@pytest.fixture
async def bot(db_url: str) -> AsyncIterator[App]:
    app = await staffed_app(db_url)
    async with unit_factory(app.engine)() as unit:
        await add_staff(unit.session, "memory", MODERATOR, StaffRole.moderator)

    @app.dispatcher.router.command("boom")
    async def boom(ctx: object) -> None:
        # A careless exception that quotes what it was given.
        raise ValueError(f"cannot handle {REPORTER} saying {DESCRIPTION}")

    yield app
    await app.close()


async def file_report(chat: MemoryAdapter) -> str:
    def say(text: str) -> object:
        return chat.say(text, user=REPORTER, language="en")

    def press(payload: str) -> object:
        return chat.press(payload, user=REPORTER, language="en")

    await say("/report")
    await press("rpt:go")
    await press("rptc:threatening_calls")
    places = await chat.say("西湖区", user=REPORTER, language="en")
    await press(next(p for p in payloads(places) if p.startswith("rpta:") and p != "rpta:"))
    await press("rptw:this_week")
    await say(DESCRIPTION)
    await press("rptp:done")
    await press("rptpub:yes")
    sent = texts(await chat.press("rpts:send", user=REPORTER, language="en"))
    found = re.search(r"(\d{4} \d{4} \d{4} \d{4})", sent)
    assert found, sent
    return found.group(1)


async def visit_the_web_chat(app: App) -> str:
    """A visitor from ``CLIENT`` behind a proxy naming ``FORWARDED``; the session cookie."""
    headers = {"Accept-Language": "en", "User-Agent": AGENT, "X-Forwarded-For": FORWARDED}
    async with serving(app) as web, WebClient(web.port or 0) as client:
        await client.session.close()
        client.session = aiohttp.ClientSession(
            cookie_jar=client.jar, headers=headers,
            connector=aiohttp.TCPConnector(local_addr=(CLIENT, 0)),
        )  # fmt: skip
        await client.get()
        await client.say(f"/search {SEARCHED}")
        await client.say(WEB_WORDS)
        await client.say("/boom")
        await client.post("/nowhere", {"x": "y"})
        cookie = client.cookie
    assert cookie
    return cookie


async def test_json_log_lines_of_a_report_moderation_and_web_visit_name_no_one(
    bot: App, json_lines: io.StringIO
) -> None:
    chat = attached(bot)
    receipt = await file_report(chat)
    await chat.say(f"/status {receipt.replace(' ', '')}", user=REPORTER, language="en")
    await chat.say("/boom", user=REPORTER, language="en")
    queue = await chat.say("/queue", user=MODERATOR)
    assert DESCRIPTION in texts(queue), "the moderator reads the report"
    await chat.press("q:sum:1", user=MODERATOR)
    await chat.say(SUMMARY, user=MODERATOR)
    assert "Approved" in texts(await chat.press("q:pub:1", user=MODERATOR))
    cookie = await visit_the_web_chat(bot)

    lines = json_lines.getvalue().splitlines()
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all(entry.keys() >= FIELDS for entry in entries)
    failures = [e for e in entries if e.get("error") == "ValueError"]
    assert len(failures) == 2, "both failing handlers logged their exception's type"
    assert all(e["frames"] and "boom" in e["frames"][-1] for e in failures)

    identity = Identity(TEST_KEY)
    people = [SenderRef("memory", REPORTER), SenderRef("memory", MODERATOR)]
    chats = [ChatRef("memory", who.id, True) for who in people]
    secrets = [
        REPORTER, MODERATOR, DESCRIPTION, "threatening-phrase-xyz", SUMMARY,
        "summary-words-xyz", SEARCHED, WEB_WORDS, receipt, receipt.replace(" ", ""),
        CLIENT, FORWARDED, "127.0.0.1", AGENT, "Distinctive-Agent", cookie,
        *(identity.user_key(who) for who in people),
        *(identity.conversation_key(c, who) for c, who in zip(chats, people, strict=True)),
    ]  # fmt: skip
    logged = "\n".join(lines)
    for secret in secrets:
        assert secret not in logged, secret


def test_a_json_line_keeps_an_exception_s_type_and_frames_but_not_its_text() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("tests.json_logs")
    root = logging.getLogger()
    level = root.level
    handler = configure("INFO", "json", stream)
    try:
        try:
            raise RuntimeError(f"chat {REPORTER} wrote {DESCRIPTION}")
        except RuntimeError:
            logger.exception("a step failed")
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    (entry,) = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert entry["message"] == "a step failed" and entry["level"] == "ERROR"
    assert entry["error"] == "RuntimeError" and entry["logger"] == "tests.json_logs"
    assert any("test_a_json_line_keeps" in frame for frame in entry["frames"])
    assert REPORTER not in stream.getvalue() and "threatening" not in stream.getvalue()


def test_the_database_libraries_are_held_at_warning_even_at_debug() -> None:
    """Their INFO and DEBUG lines carry SQL parameters (pseudonyms, chat ids) and rows."""
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", *DATA_LOGGERS)}
    handler = configure("DEBUG", "text", io.StringIO())
    try:
        for name in DATA_LOGGERS:
            assert not logging.getLogger(f"{name}.engine").isEnabledFor(logging.INFO), name
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
