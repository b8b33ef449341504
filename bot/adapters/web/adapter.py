"""The web chat as an adapter: an aiohttp server whose form posts become core events.

The web is request and response: a POST is one turn. Its event goes to the sink while
this adapter collects the replies the core sends to that chat (``send``); the route
then keeps them in the session and redirects to the page that shows them. Outside a
turn nobody is listening, so ``send`` refuses for good: a web chat cannot be reached
later, which the core knows from ``capabilities`` (no alerts, no moderation).
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Callable

from aiohttp import web, web_response

from bot.adapters.base import Adapter, Capabilities, EventSink, Undeliverable
from bot.adapters.web.limits import WebLimits
from bot.adapters.web.logs import withhold_addresses
from bot.adapters.web.options import WebOptions
from bot.adapters.web.sessions import Sessions
from bot.core.events import ChatRef, Event
from bot.core.i18n import Catalogs
from bot.core.ports import Ephemeral
from bot.core.replies import Reply

PLATFORM = "web"


class _Turn:
    __slots__ = ("chat", "replies")

    def __init__(self, chat: str) -> None:
        self.chat = chat
        self.replies: list[Reply] = []


_turn: contextvars.ContextVar[_Turn | None] = contextvars.ContextVar("web_turn", default=None)


class WebAdapter(Adapter):
    platform = PLATFORM
    capabilities = Capabilities(
        inline_buttons=True,
        rich_text=True,
        photos=True,
        max_text_chars=1_000_000,
        moderation=False,
        reaches_later=False,
        chat_service=False,
    )

    def __init__(
        self,
        options: WebOptions,
        store: Ephemeral,
        *,
        catalogs: Catalogs | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.options = options
        self.catalogs = catalogs or Catalogs()
        self.sessions = Sessions(store, options.session_seconds)
        self.limits = WebLimits(
            store,
            per_session=options.session_per_minute,
            globally=options.global_per_minute,
            new_sessions=options.new_sessions_per_minute,
            photos=options.photos_per_minute,
            clock=clock,
        )
        #: Set once the server listens; ``port`` then says where.
        self.ready = asyncio.Event()
        self.port: int | None = None
        self._stopping = asyncio.Event()
        self._sink: EventSink | None = None

    async def run(self, sink: EventSink) -> None:
        from bot.adapters.web.app import build_app

        self._sink = sink
        withhold_addresses()
        # aiohttp names itself, its version and Python's in the responses it makes before
        # any handler runs (a malformed request's 400): a map of what to attack.
        web_response.SERVER_SOFTWARE = "candibot"  # type: ignore[attr-defined]
        # No access log: it would write every client's address.
        runner = web.AppRunner(build_app(self), access_log=None, handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.options.host, self.options.port)
            await site.start()
            self.port = int(runner.addresses[0][1])
            self.ready.set()
            await self._stopping.wait()
        finally:
            await runner.cleanup()

    async def stop(self) -> None:
        self._stopping.set()

    def connected(self) -> bool:
        """Listening."""
        return self.ready.is_set() and not self._stopping.is_set()

    async def send(self, chat: ChatRef, reply: Reply) -> str | None:
        turn = _turn.get()
        if turn is not None and turn.chat == chat.id:
            turn.replies.append(reply)
            return None
        raise Undeliverable("a web chat is reached only while its page asks", gone=True)

    async def turn(self, event: Event) -> list[Reply]:
        """Hand ``event`` to the core; the replies it sent to the event's chat."""
        if self._sink is None:
            raise RuntimeError("the web adapter is not running")
        turn = _Turn(event.chat.id)
        token = _turn.set(turn)
        try:
            await self._sink(event)
        finally:
            _turn.reset(token)
        return turn.replies
