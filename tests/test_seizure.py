"""The seizure test: the server's disk is copied while the bot runs, several times, and
an attacker with every key on that disk tries to link a report to its sender.

Three users file reports; the disk is copied during a flow, right after each
submission, and an hour later (the in-memory keys' time having passed). The attacker
(``tests.attacker``) looks for every pseudonym it can derive for the last 30 days, for
the reports' text, for drafts it can open, and for times finer than a day written while
a report was on its way. It must find nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.adapters.memory import MemoryAdapter
from bot.app import App, build_app
from bot.core.ephemeral import MemoryEphemeral
from handlers.policy import Policy, ReportSetup
from storage.crypto import generate, read_key_file, write_key_file
from storage.dataset import load_dataset, read_packaged
from storage.receipts import ReceiptHasher
from storage.retention import Retention, purge
from storage.unit import unit_factory
from tests import attacker
from tests.conftest import FIXED_NOW, TEST_KEY
from tests.helpers import Clock, payloads, texts

REPORTERS = {
    "7100000001": "村主任打电话威胁我的家人，要求我退出选举，否则后果自负。",
    "7100000002": "My employer told me I would lose my job if I keep campaigning.",
    "7100000003": "税务局突然来公司检查，老板说是因为我参选人大代表。",
}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def bot(db_url: str, tmp_path: Path, clock: Clock) -> AsyncIterator[tuple[App, Path]]:
    key_file = tmp_path / "report.key"
    write_key_file(key_file, generate())
    (tmp_path / "identity.key").write_text(TEST_KEY.hex())
    policy = Policy(
        clock=lambda: FIXED_NOW,
        reports=ReportSetup(keys=read_key_file(key_file), hasher=ReceiptHasher(b"s" * 16, 1, 8)),
        moderation_room=("memory", "mods"),
    )
    app = await build_app(
        db_url, TEST_KEY, migrate=False, policy=policy, ephemeral=MemoryEphemeral(clock)
    )
    async with unit_factory(app.engine)() as unit:
        await load_dataset(unit.session, read_packaged())
    # The dataset's rows carry the second they were loaded in; let it pass, so that a
    # time the attacker finds in a report's window was written by the bot, not by us.
    await asyncio.sleep(1.1)
    log = logging.FileHandler(tmp_path / "candibot.log")
    root = logging.getLogger()
    root.addHandler(log)
    old_level, root.level = root.level, logging.DEBUG
    yield app, tmp_path
    root.removeHandler(log)
    root.setLevel(old_level)
    log.close()
    await app.close()


async def _seize(app: App, folder: Path, moment: str) -> attacker.Seizure:
    url = make_url(app.engine.url)
    if url.get_backend_name() == "sqlite":
        assert url.database
        db = Path(url.database)
        files = [db, Path(f"{db}-wal"), Path(f"{db}-shm"), Path(f"{db}-journal")]
        return attacker.copy_files(moment, [*files, *folder.iterdir()])
    async with app.engine.connect() as connection:
        schema = await connection.scalar(text("SELECT current_schema()"))
    seized = await attacker.copy_postgres(moment, app.engine, str(schema))
    seized.blobs.update(attacker.copy_files(moment, folder.iterdir()).blobs)
    return seized


async def _report(chat: MemoryAdapter, user: str, description: str) -> tuple[datetime, datetime]:
    """Files one report; returns the moments just before and after it was sent."""
    say = lambda text: chat.say(text, user=user, language="en")  # noqa: E731
    press = lambda payload: chat.press(payload, user=user, language="en")  # noqa: E731
    await say("/start")
    await say("/report")
    await press("rpt:go")
    await press("rptc:threatening_calls")
    places = await say("西湖区")
    await press(next(p for p in payloads(places) if p.startswith("rpta:") and p != "rpta:"))
    await press("rptw:this_week")
    await say(description)
    await press("rptp:done")
    await press("rptpub:yes")
    start = datetime.now(UTC)
    done = await press("rpts:send")
    assert "Your report was received" in texts(done)
    return start, datetime.now(UTC)


def _look(
    seizures: list[attacker.Seizure],
    windows: list[tuple[datetime, datetime]],
) -> list[str]:
    """Everything the attacker found, as readable findings."""
    findings: list[str] = []
    # The bot's clock for handlers is fixed; the core's runs: try the days of both.
    days = (FIXED_NOW.date(), datetime.now(UTC).date())
    seal_keys = [k for day in days for k in attacker.sealing_keys(TEST_KEY, day)]
    for seizure in seizures:
        for user, description in REPORTERS.items():
            chat = MemoryAdapter().refs(user)
            derived = set().union(*(attacker.pseudonyms(TEST_KEY, *chat, day) for day in days))
            for pseudonym in derived:
                for name in seizure.find(pseudonym.encode()):
                    findings.append(f"{seizure.moment}: a pseudonym of {user} in {name}")
            for name in seizure.find(user.encode()):
                findings.append(f"{seizure.moment}: the raw id {user} in {name}")
            for name in seizure.find(description.encode()):
                findings.append(f"{seizure.moment}: a report's text in {name}")
        for name, blob in seizure.blobs.items():
            if attacker.opened_drafts(blob, seal_keys):
                findings.append(f"{seizure.moment}: a draft opened in {name}")
            for start, end in windows:
                for mark in attacker.time_marks(start, end):
                    if mark in blob:
                        findings.append(f"{seizure.moment}: a time {mark!r} in {name}")
                if name.startswith("pg:") and attacker.pg_timestamps_within(blob, start, end):
                    findings.append(f"{seizure.moment}: a PostgreSQL timestamp in {name}")
    return findings


async def test_a_seized_disk_links_no_report_to_its_sender(
    bot: tuple[App, Path], clock: Clock
) -> None:
    app, folder = bot
    chat = MemoryAdapter(language="en")
    chat.attach(app.sink_for(chat))
    seizures: list[attacker.Seizure] = []
    windows: list[tuple[datetime, datetime]] = []
    for user, description in REPORTERS.items():
        await chat.say("/report", user=user)
        await chat.press("rpt:go", user=user)
        await chat.press("rptc:violence", user=user)
        seizures.append(await _seize(app, folder, f"during {user}'s flow"))
        await chat.press("rpt:cancel", user=user)
        windows.append(await _report(chat, user, description))
        seizures.append(await _seize(app, folder, f"after {user}'s report"))
        clock.now += 6 * 3600  # reports hours apart, as people file them
    clock.now += 3600
    async with unit_factory(app.engine)() as unit:
        await purge(unit.session, FIXED_NOW + timedelta(hours=2), Retention())
    seizures.append(await _seize(app, folder, "an hour later"))
    found = _look(seizures, windows)
    assert found == [], "\n".join(found)
