"""What operators watch, filled in by the composition root: Prometheus behind the core's
metrics port (``prometheus``), ``/healthz`` (``health``), the HTTP server of both on
``CANDIBOT_METRICS_LISTEN`` (``server``), and the log lines' format (``logs``).

``Observability.from_settings`` is all ``candibot run`` needs: its ``metrics`` go to
the app and the adapters, ``start`` serves the endpoints once the adapters exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.base import Adapter
from bot.config import Settings
from bot.core.metrics import NO_METRICS, Metrics

if TYPE_CHECKING:
    from bot.observability.prometheus import PrometheusMetrics
    from bot.observability.server import MetricsServer

__all__ = ["Observability"]


class Observability:
    def __init__(self, listen: str | None) -> None:
        self.listen = listen
        self.prometheus: PrometheusMetrics | None = None
        if listen:
            from bot.observability.prometheus import PrometheusMetrics

            self.prometheus = PrometheusMetrics()
        self.server: MetricsServer | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Observability:
        return cls(settings.metrics_listen)

    @property
    def metrics(self) -> Metrics:
        """Prometheus when the endpoints are served; otherwise nothing is counted."""
        return self.prometheus or NO_METRICS

    async def start(self, engine: AsyncEngine, adapters: Sequence[Adapter]) -> None:
        """Let ``adapters`` count, and serve ``/healthz`` and ``/metrics`` if configured."""
        from bot.observability.server import MetricsServer

        for adapter in adapters:
            adapter.metrics = self.metrics
        if self.listen and self.prometheus is not None:
            self.server = MetricsServer(self.listen, engine, adapters, self.prometheus)
            await self.server.start()

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()
            self.server = None
