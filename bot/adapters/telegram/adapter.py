"""The Telegram adapter: python-telegram-bot's ``Bot`` driven by our own polling loop or
webhook server.

Each update is a job in its chat's lane (``Lanes``): converted to an event (a photo
is fetched first), handed to the core while holding one of a few handling slots
(database work: one at a time suits SQLite's single writer), then, with the slot
released, its button press answered and its replies sent in order through flood
control. Only then is the update done and the stored offset may pass it. A chat
waiting out a 429 thus holds up neither the database nor any other chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence

from telegram import (
    Bot,
    BotCommand,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, TelegramError

from bot.adapters.base import Adapter, Capabilities, EventSink, Undeliverable
from bot.adapters.telegram import logs
from bot.adapters.telegram.flood import FloodControl, Limits
from bot.adapters.telegram.incoming import PLATFORM, Me, lane_of, to_event
from bot.adapters.telegram.lanes import Lanes
from bot.adapters.telegram.polling import Poller, PollingError
from bot.adapters.telegram.render import MAX_CHARS, Outgoing, render
from bot.adapters.telegram.request import AiohttpRequest
from bot.adapters.telegram.settings import TelegramSettings
from bot.adapters.telegram.webhook import WebhookServer
from bot.core.events import ButtonAction, ChatRef
from bot.core.ports import CursorStore, RateBudget
from bot.core.replies import Reply

log = logging.getLogger(__name__)

#: Command menus by Telegram language code (None: users of any other language).
CommandMenus = Mapping[str | None, Sequence[tuple[str, str]]]

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
#: Telegram's limit on a command's description in the menu.
MAX_DESCRIPTION = 256
CURSOR = "offset"


class _Held:
    """The replies of the update being handled, sent once its handling slot is released.

    Tasks started during the handling inherit the context; once ``open`` is False their
    replies are sent at once instead of being held for a job that has moved on."""

    __slots__ = ("open", "replies")

    def __init__(self) -> None:
        self.open = True
        self.replies: list[tuple[ChatRef, Reply]] = []


_held: contextvars.ContextVar[_Held | None] = contextvars.ContextVar("telegram_held", default=None)


class TelegramAdapter(Adapter):
    platform = PLATFORM
    capabilities = Capabilities(
        inline_buttons=True, rich_text=True, photos=True, max_text_chars=MAX_CHARS
    )

    def __init__(
        self,
        settings: TelegramSettings,
        cursors: CursorStore,
        menus: CommandMenus | None = None,
        *,
        open_chats: frozenset[int] = frozenset(),
        budget: RateBudget | None = None,
    ) -> None:
        """``budget``: where turns to send are taken (``budget_scope`` names this bot's);
        by default this process's memory, right for one worker."""
        if settings.token is None:
            raise ValueError("the Telegram adapter needs CANDIBOT_TELEGRAM_TOKEN")
        logs.quieten()
        self._settings = settings
        self._cursors = cursors
        #: The command menus set at start, and the chats where every message counts.
        self.menus: CommandMenus = menus or {}
        self.open_chats = open_chats
        self.bot = Bot(
            settings.token.get_secret_value(),
            base_url=settings.base_url,
            base_file_url=settings.files_url,
            request=AiohttpRequest(connections=64),
            get_updates_request=AiohttpRequest(connections=1),
        )
        self.flood = FloodControl(
            Limits(
                global_per_second=settings.global_per_second,
                chat_per_second=settings.chat_per_second,
                group_per_minute=settings.group_per_minute,
                burst=settings.burst,
                retry_seconds=settings.retry_seconds,
            ),
            budget,
            salt=settings.token.get_secret_value().encode(),
            sleep=self._wait,
        )
        self._lanes = Lanes()
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._stopping = asyncio.Event()
        self._me: Me | None = None
        #: What brings updates, for ``connected``.
        self._poller: Poller | None = None
        self._webhook: WebhookServer | None = None

    # The adapter seam ---------------------------------------------------

    async def run(self, sink: EventSink) -> None:
        try:
            await self.flood.call(self.bot.initialize)  # getMe, retried while unreachable
        except InvalidToken:
            await self.bot.shutdown()
            # PTB's message quotes the token.
            raise PollingError("the Bot API server refused the token") from None
        except BaseException:
            await self.bot.shutdown()
            raise
        self._me = Me(self.bot.id, self.bot.username, self.open_chats)
        try:
            await self._set_menus()
            if self._settings.webhook_url:
                server = WebhookServer(self.bot, self._settings, self._handler(sink))
                self._webhook = server
                await server.run(self._stopping)
            else:
                await self._poll(sink)
        finally:
            await self._lanes.close()
            await self.bot.shutdown()

    async def stop(self) -> None:
        self._stopping.set()

    def connected(self) -> bool:
        """Signed in (getMe answered) and, polling, the last getUpdates worked; with a
        webhook, its server listens."""
        if self._me is None or self._stopping.is_set():
            return False
        if self._poller is not None:
            return self._poller.healthy
        return self._webhook is not None and self._webhook.listening

    async def send(self, chat: ChatRef, reply: Reply) -> str | None:
        """Inside an update's handling the reply waits until the handling slot is free
        (None is returned); elsewhere (the outbox) it is sent at once, behind any reply
        waiting for a turn, and its message id returned."""
        held = _held.get()
        if held is not None and held.open:
            held.replies.append((chat, reply))
            return None
        return await self._deliver(chat, reply, strict=True)

    @staticmethod
    def budget_scope(token: str) -> str:
        """What names this bot's rate budget, shared by every worker with the token: a
        hash of it, never the token itself."""
        return "telegram:" + hashlib.sha256(token.encode()).hexdigest()[:16]

    async def acknowledge(self, action: ButtonAction) -> None:
        """Nothing to do: the job that handled a press answers it once the core is done
        (ignored presses too), outside the handling slot."""

    # Handling updates ---------------------------------------------------

    async def _poll(self, sink: EventSink) -> None:
        poller = Poller(
            self.bot,
            self._submitter(sink),
            load=functools.partial(self._cursors.load, PLATFORM, CURSOR),
            store=self._store_offset,
            timeout=self._settings.poll_timeout,
        )
        self._poller = poller
        # Updates cannot be fetched while a webhook is set (an earlier webhook deployment).
        await self.flood.call(
            functools.partial(self.bot.delete_webhook, drop_pending_updates=False)
        )
        try:
            await poller.run(self._stopping)
        finally:
            # Finish the updates in hand, then store how far the bot got.
            await self._lanes.close()
            await poller.save()

    async def _store_offset(self, offset: str) -> None:
        async with self._slots:  # database work, like handling
            await self._cursors.save(PLATFORM, CURSOR, offset)

    def _submitter(self, sink: EventSink) -> Callable[[Update, Callable[[], None]], None]:
        """Queue an update in its chat's lane; ``finished`` is called once it was handled."""

        def submit(update: Update, finished: Callable[[], None]) -> None:
            lane = lane_of(update) or f"update:{update.update_id}"
            self._lanes.submit(lane, functools.partial(self._job, update, sink, finished))

        return submit

    def _handler(self, sink: EventSink) -> Callable[[Update], asyncio.Future[None]]:
        """For webhooks: queue an update in its chat's lane; the future is done once it was."""
        submit = self._submitter(sink)

        def handle(update: Update) -> asyncio.Future[None]:
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

            def finished() -> None:
                if not done.done():
                    done.set_result(None)

            submit(update, finished)
            return done

        return handle

    async def _job(self, update: Update, sink: EventSink, finished: Callable[[], None]) -> None:
        assert self._me is not None
        held = _Held()
        try:
            event = await to_event(update, self._me, self._fetch)
            if event is not None:
                token = _held.set(held)
                try:
                    async with self._slots:
                        await sink(event)
                finally:
                    held.open = False
                    _held.reset(token)
        finally:
            try:
                if update.callback_query is not None:
                    await self._answer(update.callback_query.id)
                for chat, reply in held.replies:
                    with contextlib.suppress(Exception):  # _deliver logged it
                        await self._deliver(chat, reply)
            finally:
                finished()

    async def _fetch(self, file_id: str) -> bytes:
        """A photo's bytes; empty when it cannot be had (the core then says it cannot read it)."""

        async def download() -> bytes:
            file = await self.bot.get_file(file_id)
            return bytes(await file.download_as_bytearray())

        try:
            return await self.flood.call(download)
        except Exception as exc:  # a Bot API error, or a file without a path
            log.warning("fetching a photo failed: %s", type(exc).__name__)
            return b""

    # Talking to Telegram ------------------------------------------------

    async def _deliver(self, chat: ChatRef, reply: Reply, *, strict: bool = False) -> str | None:
        """Send ``reply`` as one or more messages; the last one's id, None if it failed.
        With ``strict`` (the outbox) a failure is raised instead: ``Undeliverable`` for
        a refusal for good (403, 400), the error itself for what may pass; and the
        messages wait behind replies for their turns (``bulk``)."""
        bulk = strict
        chat_id = int(chat.id)
        reply_to = int(reply.reply_to) if reply.reply_to else None
        message_id: int | None = None
        if reply.image is not None:
            photo = functools.partial(self.bot.send_photo, chat_id, photo=reply.image)
            try:
                await self.flood.send(chat.id, not chat.private, photo, bulk=bulk)
            except TelegramError as exc:
                log.error("sending an image failed: %s", type(exc).__name__)
                self.metrics.send_failed(PLATFORM, type(exc).__name__)
        for outgoing in render(reply):
            one = functools.partial(self._send_one, chat_id, outgoing, reply_to)
            try:
                message = await self.flood.send(chat.id, not chat.private, one, bulk=bulk)
            except Forbidden as exc:
                log.info("a user has blocked the bot or left the chat; a reply was dropped")
                self.metrics.send_failed(PLATFORM, type(exc).__name__)
                if strict:
                    raise Undeliverable("forbidden: blocked or left", gone=True) from exc
                return None
            except BadRequest as exc:
                log.error("sending a reply failed: %s", type(exc).__name__)
                self.metrics.send_failed(PLATFORM, type(exc).__name__)
                if strict:
                    raise Undeliverable("bad request") from exc
                return None
            except TelegramError as exc:
                log.error("sending a reply failed: %s", type(exc).__name__)
                self.metrics.send_failed(PLATFORM, type(exc).__name__)
                if strict:
                    raise
                return None
            message_id, reply_to = message.message_id, None
        return None if message_id is None else str(message_id)

    async def _send_one(self, chat_id: int, outgoing: Outgoing, reply_to: int | None) -> Message:
        reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        try:
            return await self.bot.send_message(
                chat_id,
                outgoing.html,
                parse_mode=ParseMode.HTML,
                reply_markup=outgoing.keyboard,
                link_preview_options=NO_PREVIEW,
                reply_parameters=reply,
            )
        except BadRequest as exc:
            if "parse entities" not in str(exc).lower():
                raise
            log.warning("Telegram could not parse a reply's HTML; sending it as plain text")
            return await self.bot.send_message(
                chat_id,
                outgoing.plain,
                reply_markup=outgoing.keyboard,
                link_preview_options=NO_PREVIEW,
                reply_parameters=reply,
            )

    async def _wait(self, seconds: float) -> None:
        """Flood control's pauses (for the limits, a 429, a retry), counted."""
        self.metrics.rate_limit_wait(PLATFORM, seconds)
        await asyncio.sleep(seconds)

    async def _answer(self, query_id: str) -> None:
        """Stop the button's spinner."""
        try:
            await self.flood.call(functools.partial(self.bot.answer_callback_query, query_id))
        except TelegramError as exc:  # e.g. a query too old to answer
            log.info("answering a button press failed: %s", type(exc).__name__)

    async def _set_menus(self) -> None:
        if not self._settings.set_commands:
            return
        for language, menu in self.menus.items():
            commands = [BotCommand(name, text[:MAX_DESCRIPTION]) for name, text in menu]
            try:
                await self.flood.call(
                    functools.partial(self.bot.set_my_commands, commands, language_code=language)
                )
            except TelegramError as exc:
                log.warning("setting the command menu failed: %s", type(exc).__name__)
