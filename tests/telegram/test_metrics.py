"""Issue 15, item 7, on Telegram: a refused send is counted by its kind, a 429's pause
as a rate-limit wait, and the adapter says it is disconnected while getUpdates fails and
connected again once it works; no label names a chat."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.observability.prometheus import PrometheusMetrics
from tests.telegram.conftest import running
from tests.telegram.fake_api import FakeBotAPI

pytestmark = pytest.mark.filterwarnings("ignore:.*`retry_after`.*")

BLOCKED, LIMITED = 5550172001, 5550172002


async def test_failed_sends_and_rate_limit_waits_are_counted_and_the_link_is_watched(
    app: App, fake: FakeBotAPI
) -> None:
    metrics = PrometheusMetrics()

    def sample(name: str, **labels: str) -> float:
        return metrics.registry.get_sample_value(name, {"platform": "telegram", **labels}) or 0.0

    async with running(app, fake, poll_timeout=1) as adapter:
        adapter.metrics = metrics
        await fake.wait_for(adapter.connected, what="the first getUpdates answered")
        fake.fail("sendMessage", 403, chat_id=BLOCKED)
        fake.message(BLOCKED, "/start", language="en")
        await fake.wait_for(lambda: fake.pending() == 0 and fake.count("sendMessage") >= 1)
        await fake.wait_for(lambda: sample("candibot_send_errors_total", kind="Forbidden") == 1)

        fake.fail("sendMessage", 429, retry_after=1, chat_id=LIMITED)
        fake.message(LIMITED, "/start", language="en")
        await fake.replies(LIMITED, 1)
        assert sample("candibot_rate_limit_wait_seconds_count") >= 1
        assert sample("candibot_rate_limit_wait_seconds_sum") > 0

        fake.fail("getUpdates", 502, times=2)
        await fake.wait_for(lambda: not adapter.connected(), what="disconnected")
        await fake.wait_for(adapter.connected, what="connected again")
    assert not adapter.connected(), "a stopped adapter is not connected"
    scraped = metrics.exposition().decode()
    for chat in (BLOCKED, LIMITED):
        assert str(chat) not in scraped
