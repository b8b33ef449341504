"""A hostile sender: 3,999-letter messages in every command and every free-text step,
receipt guesses from many senders, a photo of 6300 x 6300 pixels. Every event is
answered, no statement carries more search keys than the cap, and nothing runs on the
event loop for long: asyncio's own slow-callback detector (debug mode) reports no
callback over 100 ms. (Not a timing of our code: the detector names the offender.)
"""

from __future__ import annotations

import asyncio
import gc
import io
import logging
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import pytest
from PIL import Image

from bot.adapters.memory import MemoryAdapter
from bot.app import App, build_app
from bot.core.events import PhotoMessage
from bot.core.limits import Limits
from bot.core.replies import Reply
from storage.dataset import load_dataset, read_packaged
from storage.models import StaffRole
from storage.roles import add_staff
from storage.search_keys import MAX_KEYS_PER_QUERY
from storage.unit import unit_factory
from tests.conftest import TEST_KEY
from tests.helpers import payloads, texts
from tests.staffed import ALICE, CAROL, staff_policy
from tests.test_search_bounds import OTHER_PARAMETERS, statements

LENGTH = 3_999
LATIN = ("zhangweiliqiangwangfangchenjing" * 200)[:LENGTH]
HANZI = ("王伟李强张芳刘洋陈静曾立新" * 400)[:LENGTH]
SLOW = 0.1


@pytest.fixture
async def bot(db_url: str) -> AsyncIterator[App]:
    # Generous rate limits: this test wants every event handled (the limiter has its
    # own tests), so that the work of each one is what is measured.
    app = await build_app(
        db_url,
        TEST_KEY,
        migrate=False,
        policy=staff_policy(),
        limits=Limits(burst=10_000, per_minute=10_000),
    )
    async with unit_factory(app.engine)() as unit:
        await load_dataset(unit.session, read_packaged())
        await add_staff(unit.session, "memory", ALICE, StaffRole.moderator)
        await add_staff(unit.session, "memory", CAROL, StaffRole.admin)
    yield app
    await app.close()


@pytest.fixture
def chat(bot: App) -> MemoryAdapter:
    adapter = MemoryAdapter(language="en")
    adapter.attach(bot.sink_for(adapter))
    return adapter


class SlowCallbacks(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Executing"):
            self.found.append(message[:300])


@contextmanager
def slow_callback_detector() -> Iterator[SlowCallbacks]:
    loop = asyncio.get_running_loop()
    handler = SlowCallbacks()
    logger = logging.getLogger("asyncio")
    logger.addHandler(handler)
    was_debug, was_slow = loop.get_debug(), loop.slow_callback_duration
    # As `candibot run` does after start-up: the heap so far (here, the whole test
    # session's) is frozen out of the collector, whose full passes over it would
    # otherwise be what the detector catches.
    gc.collect()
    gc.freeze()
    loop.set_debug(True)
    loop.slow_callback_duration = SLOW
    try:
        yield handler
    finally:
        gc.unfreeze()
        loop.set_debug(was_debug)
        loop.slow_callback_duration = was_slow
        logger.removeHandler(handler)


def big_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (6300, 6300), (40, 90, 160)).save(out, "JPEG", quality=60)
    return out.getvalue()


async def _file_report(chat: MemoryAdapter, user: str, photo: bytes | None = None) -> str:
    await chat.say("/report", user=user)
    await chat.press("rpt:go", user=user)
    await chat.press("rptc:threatening_calls", user=user)
    await chat.press("rpta:", user=user)
    await chat.press("rptw:today", user=user)
    await chat.say("Someone called my family at night and threatened them.", user=user)
    if photo is not None:
        c, s = chat.refs(user)
        event = PhotoMessage(chat=c, sender=s, language="en", event_id=chat.next_id(), image=photo)
        await chat.inject(event)
    await chat.press("rptp:done", user=user)
    # Consent to a summary, so that a moderator may write one (the long-text walk does).
    await chat.press("rptpub:yes", user=user)
    done = texts(await chat.press("rpts:send", user=user))
    match = re.search(r"(\d{4} \d{4} \d{4} \d{4})", done)
    assert match, done
    return match.group(1).replace(" ", "")


async def _warm_up(chat: MemoryAdapter) -> None:
    """First calls import modules and fill caches; the detector is for steady state."""
    for text in ("/start", "/help", "曾立新", "zeng", "/search 王", "/area 西湖", "/topics 住房"):
        await chat.say(text, user="warm")
    await chat.say("/status 1234 5678 9012 3456", user="warm")
    await _file_report(chat, "warm")


async def test_long_messages_everywhere_are_answered_without_stalling_the_loop(
    bot: App, chat: MemoryAdapter
) -> None:
    await _warm_up(chat)
    code = texts(await chat.say("/verify 1", user=ALICE)).splitlines()[1]
    await chat.say(f"/claim {code}", user="cand")
    answered: list[tuple[str, list[Reply]]] = []

    async def say(text: str, user: str) -> list[Reply]:
        replies = await chat.say(text, user=user)
        answered.append((text[:40], replies))
        return replies

    with slow_callback_detector() as slow, statements(bot.engine) as (counts, _):
        for n, long in enumerate((LATIN, HANZI)):
            # Every command, with the long text as its argument, as a citizen and as staff.
            for name in sorted(bot.dispatcher.router.command_names):
                for user in (f"c{n}", ALICE, CAROL):
                    await say(f"/{name} {long}", user)
            await say(long, f"plain{n}")
            # Every step that asks for free text.
            for command in ("/search", "/candidate", "/area", "/topics", "/elections"):
                await say(command, f"s{n}")
                await say(long, f"s{n}")
            user = f"r{n}"
            await chat.say("/report", user=user)
            await chat.press("rpt:go", user=user)
            await chat.press("rptc:violence", user=user)
            await say(long, user)  # the place
            await chat.press("rpta:", user=user)
            await chat.press("rptw:today", user=user)
            assert "rptp:done" in payloads(await say(long, user))  # the description
            await chat.press("rptp:done", user=user)
            await chat.press("rptpub:no", user=user)
            await chat.press("rpts:send", user=user)
            for kind in ("statement", "link", "platform", "event"):
                await chat.say("/update", user="cand")
                await chat.press(f"upd:{kind}", user="cand")
                if kind == "platform":
                    await chat.press("updt:housing", user="cand")
                await say(long, "cand")
                if kind == "event":  # the day, refused; then a day, the place, the text
                    await say("2026-12-20", "cand")
                    await say(long, "cand")
                    await say(long, "cand")
        receipt = await _file_report(chat, "answerer")
        await chat.say(f"/status {receipt}", user="answerer")
        await chat.press("rstat:add", user="answerer")
        await say(LATIN, "answerer")
        queue = await chat.say("/queue", user=ALICE)
        report = next(p for p in payloads(queue) if p.startswith("q:sum:")).split(":")[2]
        await chat.press(f"q:sum:{report}", user=ALICE)
        await say(HANZI, ALICE)
        await chat.press(f"q:ask:{report}", user=CAROL)
        await say(LATIN, CAROL)
    assert [text for text, replies in answered if not texts(replies).strip()] == []
    assert max(counts) <= MAX_KEYS_PER_QUERY + OTHER_PARAMETERS
    assert slow.found == []


async def test_receipt_guesses_from_many_senders_are_answered_and_capped(
    bot: App, chat: MemoryAdapter
) -> None:
    await _warm_up(chat)  # one guess
    with slow_callback_detector() as slow:
        guesses = [chat.say(f"/status {n:016d}", user=f"guesser{n % 20}") for n in range(1, 41)]
        replies = await asyncio.gather(*guesses)
        mine = [texts(await chat.say(f"/status {n:016d}", user="one")) for n in range(12)]
        # Everyone's guesses together are capped at 60 a minute.
        late = [texts(await chat.say(f"/status {n:016d}", user=f"late{n}")) for n in range(30)]
    not_found, busy = "No report has that receipt", "very busy"
    # Forty at once fill the pool's queue: those past it are asked to come back.
    assert [t for r in replies if not_found not in (t := texts(r)) and busy not in t] == []
    assert all(not_found in m for m in mine[:10])
    assert "Please wait an hour" in mine[10] and "Please wait an hour" in mine[11]
    assert [m for m in late if not_found not in m and busy not in m] == []
    assert busy in late[-1]
    assert slow.found == []


async def test_a_huge_photo_is_cleaned_off_the_event_loop(bot: App, chat: MemoryAdapter) -> None:
    await _warm_up(chat)
    photo = await asyncio.to_thread(big_jpeg)
    with slow_callback_detector() as slow:
        receipt = await _file_report(chat, "photographer", photo)
    assert len(receipt) == 16
    assert slow.found == []


async def test_the_pool_gives_way_to_the_event_loop() -> None:
    import os
    import threading

    from handlers.heavy import NICENESS, off_loop

    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    assert await off_loop(niceness) == niceness() + NICENESS
