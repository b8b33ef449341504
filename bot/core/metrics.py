"""What the bot counts for its operators, as a port: the composition root fills it with
Prometheus (``bot.observability``); without it nothing is counted.

Every label is one of a few fixed words (a platform, a kind of event, an outcome, an
error's class name): never an id, a chat, a place, a command's name or a word a user
wrote, so that no series belongs to anyone (docs/THREAT_MODEL.md says what their
history can still tell).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol


class Outcome(StrEnum):
    """What became of an event the core was given."""

    #: Handled, its replies handed to the adapter.
    handled = "handled"
    #: Handled before (a platform's redelivery): only replies not sent then go out.
    redelivered = "redelivered"
    #: Over its sender's rate limit: answered "slow down", or not at all.
    slowed = "slowed"
    #: The handler failed; the user was told to try again and nothing was saved.
    failed = "failed"


class Metrics(Protocol):
    def event_handled(self, platform: str, kind: str, outcome: Outcome, seconds: float) -> None:
        """An event of ``kind`` (``Command``, ``TextMessage``...) went through the core in
        ``seconds``, from its arrival to its replies handed to the adapter."""

    def send_failed(self, platform: str, kind: str) -> None:
        """A message could not be sent; ``kind`` is the failure's kind (an error's class
        name, or ``gone`` / ``refused`` for a refusal for good)."""

    def rate_limit_wait(self, platform: str, seconds: float) -> None:
        """A send waited ``seconds`` for the platform's rate limits."""


class NoMetrics:
    """Counts nothing: the demo, the tests, and a bot without ``CANDIBOT_METRICS_LISTEN``."""

    def event_handled(self, platform: str, kind: str, outcome: Outcome, seconds: float) -> None:
        pass

    def send_failed(self, platform: str, kind: str) -> None:
        pass

    def rate_limit_wait(self, platform: str, seconds: float) -> None:
        pass


NO_METRICS: Metrics = NoMetrics()
