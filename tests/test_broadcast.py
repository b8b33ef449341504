"""``candibot broadcast``, run as the operator runs it, on SQLite and PostgreSQL: a county's
message reaches the followers of the county and of its townships, each chat once, in the
outbox's lowest priority, with one audit entry that names no chat; the running bot's
pump delivers it; every refusal (no file, not UTF-8, blank, too long, unknown area)
exits non-zero and queues nothing; ``--dry-run`` counts without queuing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.memory import MemoryAdapter
from bot.core.replies import Reply
from bot.delivery import OutboxPump
from storage.dataset import load_dataset, read_packaged
from storage.db import make_engine
from storage.models import AuditEntry, OutboxKind, OutboxMessage
from storage.outbox import PRIORITY
from storage.subscriptions import subscribe
from storage.unit import unit_factory

Run = Callable[..., subprocess.CompletedProcess[str]]

JINXIAN, LIDU, MINHE, HAIDIAN = "360124", "360124101", "360124100", "110108"
#: (platform, chat, place, language): t1 follows the county and two of its towns.
FOLLOWERS = [
    ("telegram", "7001", JINXIAN, "zh_CN"),
    ("telegram", "7001", LIDU, "zh_CN"),
    ("telegram", "7001", MINHE, "zh_CN"),
    ("matrix", "!dm:matrix.test", LIDU, "en"),
    ("memory", "m1", JINXIAN, "zh_CN"),
    ("telegram", "7002", HAIDIAN, "zh_CN"),  # elsewhere: hears nothing
]
CHATS = {chat for _, chat, _, _ in FOLLOWERS}


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(db_url)
    async with unit_factory(engine)() as unit:
        await load_dataset(unit.session, read_packaged())
        for platform, chat, place, language in FOLLOWERS:
            await subscribe(unit.session, platform, chat, place, language)
    yield engine
    await engine.dispose()


@pytest.fixture
def cli(db_url: str, tmp_path: Path, engine: AsyncEngine) -> Run:
    env = {"CANDIBOT_CONFIG": str(tmp_path / "none.toml"), "PATH": os.environ["PATH"],
           "CANDIBOT_DATABASE_URL": "sqlite:////nonexistent/never-used.sqlite"}  # fmt: skip

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "bot.cli", "broadcast", *args, "--db", db_url]
        return subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path,
                              timeout=120, check=False)  # fmt: skip

    return run


def message(tmp_path: Path, content: str | bytes, name: str = "message.txt") -> str:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return str(path)


async def queued(engine: AsyncEngine) -> list[tuple[str, str, str, int]]:
    async with unit_factory(engine)() as unit:
        columns = (OutboxMessage.platform, OutboxMessage.chat_id, OutboxMessage.kind,
                   OutboxMessage.priority)  # fmt: skip
        rows = await unit.session.execute(select(*columns).order_by(OutboxMessage.id))
        return [(p, c, str(k), int(n)) for p, c, k, n in rows]


async def audit_rows(engine: AsyncEngine) -> list[AuditEntry]:
    async with unit_factory(engine)() as unit:
        return list(await unit.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


async def test_a_county_broadcast_reaches_its_townships_each_chat_once(
    cli: Run, engine: AsyncEngine, tmp_path: Path
) -> None:
    done = cli("--area", JINXIAN, "--message-file", message(tmp_path, "投票站改到镇政府礼堂。\n"))
    assert done.returncode == 0, done.stderr
    assert "queued 3 messages (matrix 1, memory 1, telegram 1) for 360124 进贤县" in done.stdout
    rows = await queued(engine)
    broadcast = (str(OutboxKind.broadcast), PRIORITY[OutboxKind.broadcast])
    assert sorted(rows) == [
        ("matrix", "!dm:matrix.test", *broadcast),
        ("memory", "m1", *broadcast),
        ("telegram", "7001", *broadcast),
    ]
    assert PRIORITY[OutboxKind.broadcast] == max(PRIORITY.values()), "after everything else"


async def test_a_province_reaches_every_place_in_it_and_a_township_only_its_own(
    cli: Run, engine: AsyncEngine, tmp_path: Path
) -> None:
    text = message(tmp_path, "江西省的通知")
    assert cli("--area", "360000", "--message-file", text, "--dry-run").stdout.startswith(
        "dry run: would queue 3 messages"
    )
    township = cli("--area", MINHE, "--message-file", text)
    assert "queued 1 message (telegram 1)" in township.stdout, township.stdout
    assert await queued(engine) == [("telegram", "7001", "broadcast", 3)]


async def test_the_audit_entry_names_the_area_and_counts_and_no_chat(
    cli: Run, engine: AsyncEngine, tmp_path: Path, db_url: str
) -> None:
    text = "Polling stations move to the town hall."
    assert cli("--area", JINXIAN, "--message-file", message(tmp_path, text)).returncode == 0
    [entry] = await audit_rows(engine)
    assert (entry.actor, entry.action, entry.target_type, entry.target_id) == (
        "cli", "broadcast", "area", JINXIAN,
    )  # fmt: skip
    assert entry.detail["messages"] == 3
    assert entry.detail["platforms"] == {"matrix": 1, "memory": 1, "telegram": 1}
    assert entry.detail["language"] == "all" and entry.detail["chars"] == len(text)
    whole = json.dumps([entry.actor, entry.target_id, entry.detail], ensure_ascii=False)
    for chat in CHATS:
        assert chat not in whole
    verify = subprocess.run(
        [sys.executable, "-m", "bot.cli", "audit", "verify", "--db", db_url],
        capture_output=True, text=True, cwd=tmp_path, check=False,
        env={"CANDIBOT_CONFIG": str(tmp_path / "none.toml"), "PATH": os.environ["PATH"]},
    )  # fmt: skip
    assert verify.stdout.startswith("intact: 1 entries"), verify.stdout + verify.stderr


async def test_the_running_bots_pump_delivers_it_in_the_subscribers_language(
    cli: Run, engine: AsyncEngine, tmp_path: Path
) -> None:
    text = "投票站改到镇政府礼堂。\nPolling stations move to the town hall."
    assert cli("--area", JINXIAN, "--message-file", message(tmp_path, text)).returncode == 0
    adapter = MemoryAdapter()
    pump = OutboxPump(engine, adapter)
    assert await pump.once() == 1
    assert await pump.once() == 0, "each message once"
    [sent] = adapter.sent
    assert sent.chat.id == "m1"
    shown = sent.reply.text.plain
    assert shown.startswith("candibot 运营方发给所有关注进贤县的人的消息：")
    assert text in shown and "/unsubscribe" in shown
    assert sorted(chat for _, chat, _, _ in await queued(engine)) == ["!dm:matrix.test", "7001"]


async def test_lang_sends_only_to_the_subscribers_who_use_it(
    cli: Run, engine: AsyncEngine, tmp_path: Path
) -> None:
    done = cli("--area", JINXIAN, "--lang", "en", "--message-file", message(tmp_path, "Hello"))
    assert "queued 1 message (matrix 1)" in done.stdout, done.stdout + done.stderr
    assert [chat for _, chat, _, _ in await queued(engine)] == ["!dm:matrix.test"]
    async with unit_factory(engine)() as unit:
        body = await unit.session.scalar(select(OutboxMessage.body))
    shown = Reply.from_json(body).text.plain
    assert shown.startswith("A message from candibot's operators to everyone who follows 进贤县:")
    assert "\n\nHello\n\n" in shown
    [entry] = await audit_rows(engine)
    assert entry.detail["language"] == "en"


async def test_dry_run_counts_per_platform_and_queues_nothing(
    cli: Run, engine: AsyncEngine, tmp_path: Path
) -> None:
    done = cli("--area", JINXIAN, "--message-file", message(tmp_path, "通知"), "--dry-run")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "dry run: would queue 3 messages (matrix 1, memory 1, telegram 1) for 360124 进贤县; "
        "nothing queued"
    )
    assert await queued(engine) == [] and await audit_rows(engine) == []


async def test_an_area_nobody_follows_queues_nothing(
    cli: Run, engine: AsyncEngine, tmp_path: Path
) -> None:
    done = cli("--area", "330106", "--message-file", message(tmp_path, "通知"))
    assert done.returncode == 0 and "nobody follows 330106 西湖区" in done.stdout
    assert await queued(engine) == [] and await audit_rows(engine) == []


#: (what the file holds, or None for no file; the area; what the refusal says)
REFUSALS = {
    "missing file": (None, JINXIAN, "no such file"),
    "empty": ("", JINXIAN, "the message is empty"),
    "whitespace": (" \n\t\u3000\n", JINXIAN, "the message is empty"),
    "not UTF-8": ("投票站改了".encode("gb18030"), JINXIAN, "not UTF-8"),
    "control character": ("通知\x1b[31m", JINXIAN, "control character (U+001B)"),
    "too long for Telegram": ("票" * 4050, JINXIAN, "too long for one Telegram message"),
    "unknown area": ("通知", "999999", "no area has the code '999999'"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
async def test_a_refused_broadcast_exits_non_zero_and_queues_nothing(
    case: str, cli: Run, engine: AsyncEngine, tmp_path: Path
) -> None:
    content, area, says = REFUSALS[case]
    path = str(tmp_path / "absent.txt") if content is None else message(tmp_path, content)
    done = cli("--area", area, "--message-file", path)
    assert done.returncode != 0
    assert "refused, nothing queued" in done.stderr and says in done.stderr, done.stderr
    assert done.stdout == ""
    async with unit_factory(engine)() as unit:
        assert await unit.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert await audit_rows(engine) == []


async def test_the_longest_text_that_fits_one_telegram_message_goes(
    cli: Run, engine: AsyncEngine, tmp_path: Path
) -> None:
    """The bound is Telegram's 4,096 UTF-16 units for the whole message, heading and
    footer included, in the longer of the two languages."""
    from bot.adapters.telegram.render import MAX_CHARS, utf16_len
    from bot.core.i18n import Catalogs
    from handlers.broadcast import compose

    catalogs = Catalogs()
    frame = max(utf16_len(compose(catalogs, lang, "进贤县", "").text.plain)
                for lang in catalogs.languages)  # fmt: skip
    fits = "票" * (MAX_CHARS - frame)
    assert cli("--area", JINXIAN, "--message-file", message(tmp_path, fits)).returncode == 0
    too_long = cli("--area", JINXIAN, "--message-file", message(tmp_path, fits + "票", "2.txt"))
    assert too_long.returncode != 0 and f"at most {MAX_CHARS}" in too_long.stderr
    assert len(await queued(engine)) == 3
