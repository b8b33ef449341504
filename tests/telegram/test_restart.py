"""kill -9 in the middle of a report flow, with a reply in flight and updates fetched but not
handled: after a restart no update is lost and nothing already answered is answered again.
The unfinished draft itself dies with the process (drafts live only in memory, so that no
disk holds them): the reporter's next press is told so, and a new /report goes through.

The bot runs as ``python -m bot.cli run`` in a child process, as an operator runs it.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import func, select

from bot.maintenance import generate_keys
from storage.db import make_engine
from storage.models import Report
from tests.conftest import TEST_KEY
from tests.telegram.conftest import gps_jpeg
from tests.telegram.fake_api import FakeBotAPI

REPORTER = 5550172839
OTHERS = [5550300 + i for i in range(5)]
DESCRIPTION = "有人打电话威胁我的家人，要求我退出选举。The caller hid the number."


def environment(fake: FakeBotAPI, db_url: str, tmp_path: Path) -> dict[str, str]:
    generate_keys(tmp_path / "report.key", None)
    return {
        **os.environ,
        **fake.environment(),
        "CANDIBOT_DATABASE_URL": db_url,
        "CANDIBOT_IDENTITY_KEY": TEST_KEY.hex(),
        "CANDIBOT_REPORT_KEY_FILE": str(tmp_path / "report.key"),
        "CANDIBOT_RECEIPT_TIME_COST": "1",
        "CANDIBOT_RECEIPT_MEMORY_KIB": "8",
        "CANDIBOT_CONFIG": str(tmp_path / "absent.toml"),
        "CANDIBOT_LOG_LEVEL": "INFO",
        "CANDIBOT_TELEGRAM_POLL_TIMEOUT": "5",
        "CANDIBOT_TELEGRAM_CHAT_PER_SECOND": "1000",
    }


@asynccontextmanager
async def bot_process(
    fake: FakeBotAPI, env: dict[str, str], logs: list[str]
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``candibot run`` in a child process, polling the fake; killed at the end if alive."""
    polls = fake.count("getUpdates")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run",
        env=env, stdin=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        waiting = fake.wait_for(lambda: fake.count("getUpdates") > polls, 60, "the bot to poll")
        exited = asyncio.ensure_future(process.wait())
        done, _ = await asyncio.wait(
            {asyncio.ensure_future(waiting), exited}, return_when=asyncio.FIRST_COMPLETED
        )
        if exited in done:
            _, err = await process.communicate()
            raise AssertionError(f"the bot exited: {err.decode(errors='replace')[-2000:]}")
        exited.cancel()
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        _, err = await process.communicate()
        logs.append(err.decode(errors="replace"))


async def test_kill_9_in_a_report_flow_loses_no_update_and_tells_the_reporter(
    fake: FakeBotAPI, db_url: str, tmp_path: Path
) -> None:
    env = environment(fake, db_url, tmp_path)
    logs: list[str] = []

    async def step(send: object, count: int) -> None:
        send()  # type: ignore[operator]
        await fake.replies(REPORTER, count, timeout=20)

    def say(text: str) -> object:
        return lambda: fake.message(REPORTER, text, language="en")

    def press(data: str) -> object:
        return lambda: fake.press(REPORTER, data, language="en")

    async with bot_process(fake, env, logs) as first:
        await step(say("/report"), 1)
        await step(press("rpt:go"), 2)
        await step(press("rptc:threatening_calls"), 3)
        done = fake.message(OTHERS[0], "/help", language="en")  # handled before the kill
        await fake.replies(OTHERS[0], 1)
        fake.hold_replies()
        in_flight = fake.press(REPORTER, "rpta:", language="en")  # committed, reply held
        fake.press(REPORTER, "rptw:this_week", language="en")  # fetched, queued in the lane
        for chat in OTHERS[1:]:
            fake.message(chat, "/start", language="en")
        sends = fake.count("sendMessage")
        await fake.wait_for(lambda: fake.count("sendMessage") >= sends + 5, 20, "held replies")
        polls = fake.count("getUpdates")
        await fake.wait_for(lambda: fake.count("getUpdates") >= polls + 2, 20, "a refetch")
        first.send_signal(signal.SIGKILL)
        await first.wait()
        killed_at = asyncio.get_running_loop().time()
    fake.release_replies()
    # Telegram still holds every update from the one in flight on.
    assert done < in_flight and fake.pending() >= 2 + len(OTHERS[1:])

    async with bot_process(fake, env, logs) as second:
        # The press fetched but never handled is handled now: its draft died with the
        # first process, and the reporter hears that, and how to start again.
        await fake.wait_for(lambda: _told_draft_is_gone(fake) is not None, 20, "the news")
        assert (_told_draft_is_gone(fake) or 0) > killed_at
        count = len(fake.texts(REPORTER))
        await step(say("/report"), count + 1)
        await step(press("rpt:go"), count + 2)
        await step(press("rptc:threatening_calls"), count + 3)
        await step(press("rpta:"), count + 4)
        await step(press("rptw:this_week"), count + 5)
        await step(say(DESCRIPTION), count + 6)
        fake.photo(REPORTER, gps_jpeg(), language="en")
        await fake.replies(REPORTER, count + 7, timeout=20)
        await step(press("rptp:done"), count + 8)
        await step(press("rptpub:yes"), count + 9)
        await step(press("rpts:send"), count + 10)
        await fake.wait_for(lambda: fake.pending() == 0, 20, "every update confirmed")
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), 20) == 0

    texts = fake.texts(REPORTER)
    assert re.search(r"\d{4} \d{4} \d{4} \d{4}", texts[-1]), texts[-1]
    # The /help answered before the kill, once; each /start at least once, and twice
    # only if its reply was in flight at the kill (it reached Telegram, and the bot,
    # dead before hearing so, sent it again); each step of the flow once.
    assert len(fake.texts(OTHERS[0])) == 1
    for chat in OTHERS[1:]:
        assert 1 <= len(fake.texts(chat)) <= 2, chat
    firsts = texts[:3]  # the first flow's questions, each asked once
    assert len(firsts) == len(set(firsts)), texts
    engine = make_engine(db_url)
    async with engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(Report)) == 1
    await engine.dispose()
    stderr = "\n".join(logs)
    assert "a redelivered ButtonAction: 0 replies" in stderr  # the press in flight at the kill
    for secret in (str(REPORTER), "有人打电话", "hid the number", fake.token.split(":")[1]):
        assert secret not in stderr, secret


async def test_kill_9_between_commit_and_send_loses_no_reply(
    fake: FakeBotAPI, db_url: str, tmp_path: Path
) -> None:
    """45 users say /start; the bot is killed with replies decided and committed whose
    requests never reached Telegram. The restarted bot sends exactly those, once."""
    env = environment(fake, db_url, tmp_path)
    logs: list[str] = []
    users = [5551000 + i for i in range(45)]
    async with bot_process(fake, env, logs) as first:
        fake.hold_replies()
        sends = fake.count("sendMessage")
        for user in users:
            fake.message(user, "/start", language="en")
        await fake.wait_for(lambda: fake.count("sendMessage") >= sends + 4, 20, "replies out")
        first.send_signal(signal.SIGKILL)
        await first.wait()
    fake.release_replies(lost=True)
    assert fake.sent == [] and fake.pending() == len(users)

    async with bot_process(fake, env, logs) as second:
        await fake.wait_for(lambda: fake.pending() == 0, 30, "every update confirmed")
        await fake.wait_for(lambda: all(fake.texts(u) for u in users), 30, "every reply")
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), 20) == 0

    for user in users:
        [welcome] = fake.texts(user)
        assert "Welcome to candibot" in welcome
    stderr = "\n".join(logs)
    assert "a redelivered Command: 1 replies not sent before" in stderr


def _told_draft_is_gone(fake: FakeBotAPI) -> float | None:
    """When the bot told the reporter that their draft is gone, if it has."""
    told = [
        sent.at
        for sent in fake.sent
        if sent.chat_id == REPORTER and "drafts are never saved" in sent.text
    ]
    return told[0] if told else None
