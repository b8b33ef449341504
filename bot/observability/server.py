"""The operators' HTTP endpoint of ``candibot run``: ``/healthz`` and ``/metrics`` on
``CANDIBOT_METRICS_LISTEN``, an aiohttp server of its own, apart from the web chat and
the Telegram webhook so that neither is ever reachable through the other's proxy."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.base import Adapter
from bot.adapters.web.logs import withhold_addresses
from bot.observability.health import Health, check
from bot.observability.prometheus import CONTENT_TYPE_LATEST, PrometheusMetrics


class MetricsServer:
    def __init__(
        self,
        listen: str,
        engine: AsyncEngine,
        adapters: Sequence[Adapter],
        metrics: PrometheusMetrics,
    ) -> None:
        host, _, port = listen.rpartition(":")
        self._host, self._port = host.strip("[]"), int(port)
        self._engine, self._adapters, self._metrics = engine, list(adapters), metrics
        self._runner: web.AppRunner | None = None
        #: One check at a time: scrapes that arrive together share the database's time.
        self._checking = asyncio.Lock()
        #: Where it listens once started (the port the system chose for port 0).
        self.port: int | None = None

    async def start(self) -> None:
        withhold_addresses()  # no scraper's address in aiohttp's log lines
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._scrape)
        # No access log: it would write every client's address.
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _fresh(self) -> Health:
        async with self._checking:
            health = await check(self._engine, self._adapters)
        self._metrics.observe_health(health)
        return health

    async def _healthz(self, request: web.Request) -> web.Response:
        health = await self._fresh()
        return web.Response(
            status=200 if health.healthy else 503,
            text=json.dumps(health.body(), sort_keys=True),
            content_type="application/json",
            headers={"Cache-Control": "no-store"},
        )

    async def _scrape(self, request: web.Request) -> web.Response:
        await self._fresh()
        return web.Response(
            body=self._metrics.exposition(),
            headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"},
        )
