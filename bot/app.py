"""The composition root: wires storage, handlers and adapters around the core."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.base import Adapter, EventSink
from bot.core.dispatcher import Dispatcher
from bot.core.events import ButtonAction, Event
from bot.core.i18n import Catalogs
from bot.core.identity import Identity
from bot.core.replies import Reply
from handlers import build_router
from handlers.policy import Policy
from storage.db import make_engine, upgrade
from storage.unit import StoreUnit, unit_factory


@dataclass
class App:
    engine: AsyncEngine
    dispatcher: Dispatcher[StoreUnit]

    def sink_for(self, adapter: Adapter) -> EventSink:
        """Where ``adapter`` delivers: handle the event, send replies, acknowledge buttons."""

        async def sink(event: Event) -> None:
            async def send(reply: Reply) -> None:
                await adapter.send(event.chat, reply)

            await self.dispatcher.handle(event, send)
            if isinstance(event, ButtonAction):
                await adapter.acknowledge(event)

        return sink

    async def close(self) -> None:
        await self.engine.dispose()


async def build_app(
    database_url: str,
    identity_key: bytes,
    *,
    default_language: str = "zh_CN",
    state_ttl: timedelta = timedelta(hours=24),
    migrate: bool = True,
    policy: Policy | None = None,
) -> App:
    engine = make_engine(database_url)
    if migrate:
        await upgrade(engine)
    dispatcher = Dispatcher(
        build_router(),
        unit_factory(engine),
        Identity(identity_key),
        Catalogs(default=default_language),
        state_ttl=state_ttl,
        config=policy or Policy(),
    )
    return App(engine, dispatcher)
