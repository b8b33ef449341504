"""The metrics port (``bot.core.metrics``) on the official ``prometheus-client``.

Each bot has a registry of its own (not the library's global one), so that several
apps in one process, as in the tests, count apart. The labels are fixed words only
(``bot.core.metrics``); the outbox's and the links' gauges are set just before each
scrape (``bot.observability.server``).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.core.metrics import Outcome
from bot.observability.health import Health

__all__ = ["CONTENT_TYPE_LATEST", "PrometheusMetrics"]

#: Seconds from an event's arrival to its replies handed over: most take milliseconds;
#: a report's receipt (Argon2) and a busy SQLite take longer.
REPLY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: Seconds one send waited for a platform's limits: a turn (a second), up to a 429.
WAIT_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 2.0, 5.0, 15.0, 60.0, 300.0)


class PrometheusMetrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.events = Counter(
            "candibot_events", "Events the core was given, by platform, kind and outcome",
            ["platform", "kind", "outcome"], registry=registry,
        )  # fmt: skip
        self.reply_seconds = Histogram(
            "candibot_reply_seconds",
            "Seconds from an event's arrival at the core to its replies handed to the adapter",
            ["platform"], buckets=REPLY_BUCKETS, registry=registry,
        )  # fmt: skip
        self.send_errors = Counter(
            "candibot_send_errors", "Messages that could not be sent, by platform and kind",
            ["platform", "kind"], registry=registry,
        )  # fmt: skip
        self.waits = Histogram(
            "candibot_rate_limit_wait_seconds",
            "Pauses before a send for the platform's rate limits (a turn, a 429, a retry)",
            ["platform"], buckets=WAIT_BUCKETS, registry=registry,
        )  # fmt: skip
        self.outbox_waiting = Gauge(
            "candibot_outbox_waiting", "Outbox messages waiting to be sent, by platform and kind",
            ["platform", "kind"], registry=registry,
        )  # fmt: skip
        self.outbox_age = Gauge(
            "candibot_outbox_oldest_age_seconds",
            "Age of the oldest outbox message waiting, by platform and kind",
            ["platform", "kind"], registry=registry,
        )  # fmt: skip
        self.database_up = Gauge(
            "candibot_database_up", "1 if the database answered the last check", registry=registry
        )
        self.adapter_connected = Gauge(
            "candibot_adapter_connected", "1 if the adapter is in touch with its platform",
            ["platform"], registry=registry,
        )  # fmt: skip

    # The port -----------------------------------------------------------

    def event_handled(self, platform: str, kind: str, outcome: Outcome, seconds: float) -> None:
        self.events.labels(platform, kind, outcome.value).inc()
        if outcome is not Outcome.slowed:
            self.reply_seconds.labels(platform).observe(seconds)

    def send_failed(self, platform: str, kind: str) -> None:
        self.send_errors.labels(platform, kind).inc()

    def rate_limit_wait(self, platform: str, seconds: float) -> None:
        self.waits.labels(platform).observe(seconds)

    # Scrapes ------------------------------------------------------------

    def observe_health(self, health: Health) -> None:
        """Set the gauges from a fresh check: rows that are gone lose their series."""
        self.database_up.set(1 if health.database else 0)
        for platform, connected in health.adapters.items():
            self.adapter_connected.labels(platform).set(1 if connected else 0)
        if health.backlog is None:  # the database did not answer: keep the last values
            return
        self.outbox_waiting.clear()
        self.outbox_age.clear()
        for row in health.backlog:
            self.outbox_waiting.labels(row.platform, row.kind).set(row.waiting)
            self.outbox_age.labels(row.platform, row.kind).set(row.age_seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
