"""Issue 15, item 7: what operators watch. The core counts events through its metrics
port, Prometheus shows them with labels drawn from a few fixed words (never an id, a
chat or a user's text), and ``/healthz`` says whether the database answers, each
adapter is connected and what waits in the outbox; on SQLite and PostgreSQL, over a
real socket."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.base import Adapter
from bot.adapters.memory import MemoryAdapter
from bot.adapters.web import WebAdapter, WebOptions
from bot.app import App, build_app
from bot.core.ephemeral import MemoryEphemeral
from bot.core.events import event_from_text
from bot.core.identity import Identity
from bot.core.limits import Limits
from bot.core.metrics import Outcome
from bot.observability import Observability
from bot.observability.prometheus import PrometheusMetrics
from bot.observability.server import MetricsServer
from storage.dataset import load_dataset, read_packaged
from storage.db import make_engine
from storage.models import OutboxMessage
from storage.unit import unit_factory
from tests.conftest import FIXED_NOW, TEST_KEY

SENDER = "5550172839"
WORDS = "zeng lixin"
EVENT_KINDS = {"Command", "TextMessage", "ButtonAction", "PhotoMessage", "UnsupportedMessage"}
#: Every label value a scrape may show: fixed words only.
ALLOWED = {
    "platform": {"memory", "telegram", "matrix", "web", "console"},
    "kind": EVENT_KINDS | {"reply", "announcement", "alert", "broadcast"},
    "outcome": {o.value for o in Outcome},
    "le": None,  # histogram bounds: numbers
}


@pytest.fixture
async def counted(db_url: str) -> AsyncIterator[tuple[App, PrometheusMetrics]]:
    metrics = PrometheusMetrics()
    app = await build_app(
        db_url, TEST_KEY, migrate=False, metrics=metrics, clock=lambda: FIXED_NOW,
        limits=Limits(burst=4, per_minute=100), ephemeral=MemoryEphemeral(),
    )  # fmt: skip
    async with unit_factory(app.engine)() as unit:
        await load_dataset(unit.session, read_packaged())
    yield app, metrics
    await app.close()


def labels_of(exposition: bytes) -> list[dict[str, str]]:
    return [
        sample.labels
        for family in text_string_to_metric_families(exposition.decode())
        for sample in family.samples
    ]


async def test_events_are_counted_by_platform_kind_and_outcome_with_their_latency(
    counted: tuple[App, PrometheusMetrics],
) -> None:
    app, metrics = counted
    chat = MemoryAdapter(language="en")
    chat.attach(app.sink_for(chat))
    await chat.say("/start", user=SENDER)
    await chat.say(WORDS, user=SENDER)
    c, s = chat.refs(SENDER)
    again = event_from_text("/help", chat=c, sender=s, language="en", event_id="e-again")
    await chat.inject(again)
    await chat.inject(again)  # the platform delivers it twice
    slowed = await chat.say("/start", user=SENDER)  # the fifth in ten seconds
    assert slowed, "the first event over the limit is answered"

    def count(kind: str, outcome: Outcome) -> float | None:
        return metrics.registry.get_sample_value(
            "candibot_events_total", {"platform": "memory", "kind": kind, "outcome": outcome}
        )

    assert count("Command", Outcome.handled) == 2
    assert count("TextMessage", Outcome.handled) == 1
    assert count("Command", Outcome.redelivered) == 1
    assert count("Command", Outcome.slowed) == 1
    latency = metrics.registry.get_sample_value(
        "candibot_reply_seconds_count", {"platform": "memory"}
    )
    assert latency == 4, "every event but the slowed one has its latency"


async def test_no_metric_label_carries_an_id_a_pseudonym_or_a_text(
    counted: tuple[App, PrometheusMetrics],
) -> None:
    app, metrics = counted
    chat = MemoryAdapter(language="en")
    chat.attach(app.sink_for(chat))
    for text in ("/start", f"/search {WORDS}", WORDS, "/report", "/area 西湖区"):
        await chat.say(text, user=SENDER)
    metrics.send_failed("telegram", "Forbidden")
    metrics.rate_limit_wait("telegram", 1.5)
    exposition = metrics.exposition()
    pseudonym = Identity(TEST_KEY).user_key(chat.refs(SENDER)[1])
    for secret in (SENDER, pseudonym, WORDS, "西湖区", "/search"):
        assert secret.encode() not in exposition, secret
    samples = labels_of(exposition)
    assert samples
    for labels in samples:
        for name, value in labels.items():
            allowed = ALLOWED.get(name, set())
            if allowed is None:
                float(value)  # a histogram bound
            elif name == "kind" and value in {"Forbidden"}:
                continue  # a send error's kind: an exception's class name
            else:
                assert value in allowed, (name, value)


async def get(port: int, path: str) -> tuple[int, str, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}{path}") as response,
    ):
        return response.status, response.headers["Content-Type"], await response.text()


async def scrape(
    engine: AsyncEngine, adapters: list[Adapter], metrics: PrometheusMetrics
) -> tuple[int, str, str]:
    """``/healthz``'s status and body, then ``/metrics``'s text, over a real socket."""
    server = MetricsServer("127.0.0.1:0", engine, adapters, metrics)
    await server.start()
    try:
        assert server.port is not None
        status, kind, body = await get(server.port, "/healthz")
        assert kind.startswith("application/json")
        _, kind, scraped = await get(server.port, "/metrics")
        assert kind.startswith("text/plain")
    finally:
        await server.stop()
    return status, body, scraped


async def test_healthz_is_200_with_the_database_answering_and_every_adapter_connected(
    counted: tuple[App, PrometheusMetrics],
) -> None:
    app, metrics = counted
    status, body, _ = await scrape(app.engine, [MemoryAdapter()], metrics)
    assert status == 200
    assert json.loads(body) == {
        "status": "ok",
        "database": "ok",
        "adapters": {"memory": "connected"},
        "outbox": {"waiting": 0, "oldest_seconds": 0},
    }


async def test_healthz_is_503_while_an_adapter_is_not_connected(
    counted: tuple[App, PrometheusMetrics],
) -> None:
    app, metrics = counted
    web = WebAdapter(WebOptions(host="127.0.0.1", port=0), app.ephemeral)  # never started
    status, body, scraped = await scrape(app.engine, [MemoryAdapter(), web], metrics)
    assert status == 503
    assert json.loads(body)["adapters"] == {"memory": "connected", "web": "disconnected"}
    assert 'candibot_adapter_connected{platform="web"} 0.0' in scraped
    assert 'candibot_adapter_connected{platform="memory"} 1.0' in scraped


async def test_healthz_is_503_when_the_database_does_not_answer() -> None:
    # Nothing listens on port 1 of the loopback: the connection is refused at once.
    engine = make_engine("postgresql://postgres@127.0.0.1:1/test")
    metrics = PrometheusMetrics()
    try:
        status, body, scraped = await scrape(engine, [MemoryAdapter()], metrics)
    finally:
        await engine.dispose()
    assert status == 503
    assert json.loads(body) == {
        "status": "unhealthy",
        "database": "unreachable",
        "adapters": {"memory": "connected"},
        "outbox": None,
    }
    assert "candibot_database_up 0.0" in scraped


async def test_outbox_depth_and_the_oldest_message_s_age_are_shown(
    counted: tuple[App, PrometheusMetrics],
) -> None:
    app, metrics = counted
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    async with unit_factory(app.engine)() as unit:
        for chat_id, failed in (("-100123456", None), ("-100654321", None), ("42", "refused")):
            unit.session.add(
                OutboxMessage(platform="telegram", chat_id=chat_id, body={"text": []},
                              kind="alert", created_at=two_hours_ago, failed=failed)
            )  # fmt: skip
        unit.session.add(OutboxMessage(platform="matrix", chat_id="!room:example.org",
                                       body={"text": []}, kind="reply"))  # fmt: skip
    _, body, scraped = await scrape(app.engine, [], metrics)
    outbox = json.loads(body)["outbox"]
    assert outbox["waiting"] == 3, "the failed message is not waiting"
    assert outbox["oldest_seconds"] >= 2 * 3600
    waiting = {
        (s.labels["platform"], s.labels["kind"]): s.value
        for family in text_string_to_metric_families(scraped)
        if family.name == "candibot_outbox_waiting"
        for s in family.samples
    }
    assert waiting == {("telegram", "alert"): 2, ("matrix", "reply"): 1}
    age = metrics.registry.get_sample_value(
        "candibot_outbox_oldest_age_seconds", {"platform": "telegram", "kind": "alert"}
    )
    assert age is not None and age >= 2 * 3600
    for chat_id in ("-100123456", "-100654321", "!room:example.org"):
        assert chat_id not in scraped and chat_id not in body


def test_without_a_metrics_address_nothing_is_counted_or_served() -> None:
    observed = Observability(None)
    assert observed.prometheus is None
    observed.metrics.event_handled("memory", "Command", Outcome.handled, 0.1)  # a no-op
