"""kill -9 in the middle of a broadcast, on SQLite and PostgreSQL: ``candibot run``, as an
operator runs it, is killed while it delivers a date change to its county's followers,
and started again. Every follower gets the alert; one gets it twice only if its message
was in flight at the kill (at most one per sender), and the outbox ends empty."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.delivery import SENDERS
from storage.dataset import load_dataset, read_packaged
from storage.db import make_engine
from storage.models import OutboxMessage
from storage.unit import unit_factory
from tests.followers import announce_new_day, chats, follow
from tests.telegram.fake_api import FakeBotAPI, RateLimit
from tests.telegram.test_restart import bot_process, environment

pytestmark = pytest.mark.filterwarnings("ignore:.*`retry_after`.*")

FOLLOWERS = 90


async def test_kill_9_mid_broadcast_loses_no_alert(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    async with unit_factory(engine)() as unit:
        await load_dataset(unit.session, read_packaged())
    await follow(engine, FOLLOWERS)
    assert (await announce_new_day(engine))[0] == FOLLOWERS
    fake = await FakeBotAPI(rate_limit=RateLimit()).start()
    try:
        env = environment(fake, db_url, tmp_path)
        logs: list[str] = []
        async with bot_process(fake, env, logs) as first:
            await fake.wait_for(lambda: len(fake.sent) >= 30, 60, "the broadcast to start")
            first.send_signal(signal.SIGKILL)
            await first.wait()
        at_kill = len(fake.sent)
        assert at_kill < FOLLOWERS, "killed mid-broadcast"
        async with bot_process(fake, env, logs) as second:
            everyone = set(chats(FOLLOWERS))
            await fake.wait_for(lambda: everyone <= {s.chat_id for s in fake.sent}, 60, "all")
            second.send_signal(signal.SIGTERM)
            assert await second.wait() == 0
    finally:
        await fake.stop()
    counts = Counter(sent.chat_id for sent in fake.sent)
    assert set(counts) == set(chats(FOLLOWERS))
    assert sum(n - 1 for n in counts.values()) <= SENDERS
    async with engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    await engine.dispose()
