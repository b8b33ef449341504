"""A fake Telegram Bot API server speaking real HTTP on 127.0.0.1, for tests and benchmarks.

It serves what the bot calls (getMe, getUpdates with offset and long-poll timeout,
sendMessage, editMessageText, answerCallbackQuery, setMyCommands, getFile and file
downloads, deleteWebhook, setWebhook), records what the bot sent, and lets a test
inject updates, 429s and 5xx answers, hold replies back, or post to the bot's webhook.
Like Telegram, it forgets an update once getUpdates names a higher offset.

With ``rate_limit`` it also holds the bot to Telegram's limits (``RateLimit``) and
answers 429 with ``retry_after`` beyond them, counting what it refused, and says how
busy its busiest second was.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import aiohttp
from aiohttp import web

TOKEN = "123456789:AAFakeTokenForTestsOnly-abcdefghijk"
BOT_ID = 123456789
BOT_USERNAME = "candibot_test_bot"

#: Parameters python-telegram-bot sends JSON-encoded inside form fields.
JSON_FIELDS = {
    "reply_markup",
    "allowed_updates",
    "commands",
    "reply_parameters",
    "link_preview_options",
    "scope",
    "entities",
}


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    at: float
    status: int = 200


#: How often a rate-limited fake checks that its own event loop keeps time.
STALL_TICK = 0.01


@dataclass(frozen=True)
class RateLimit:
    """Telegram's limits for sending messages, as this fake enforces them: about 30 a
    second in all, 1 a second in a chat (a short burst allowed, as Telegram says it
    does; we assume 3), 20 a minute in a group.

    Each rate is a generic cell rate algorithm: a message may come once the previous
    ones, spaced by the interval, are through, up to ``burst`` of them back to back,
    and ``slack`` seconds early: the jitter of requests crossing two processes and this
    server's own scheduling, which would otherwise make a sender at exactly the limit
    look faster than it is. Over any stretch no rate can be beaten. A group's 20 a
    minute is counted in a sliding window (less ``slack``) instead.

    When the server's own event loop has stalled (a busy machine), the requests that
    came meanwhile are read together and would look like a burst: for a second after a
    stall, each is counted as having come as early in the stall as its rates allow
    (``Limiter.backdated`` counts them). Their number is still held to the rates.
    """

    per_second: float = 30.0
    chat_per_second: float = 1.0
    chat_burst: int = 3
    group_per_minute: int = 20
    slack: float = 0.1


class Limiter:
    """``RateLimit`` applied: ``admit`` says whether a message to a chat may go now, and
    if not, in how many whole seconds (Telegram's ``retry_after``)."""

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._tats: dict[object, float] = {}
        self._groups: dict[int, deque[float]] = {}
        #: Messages counted as having come more than one turn before they were read,
        #: because this server had stalled.
        self.backdated = 0

    def admit(self, chat_id: int, group: bool, now: float, stalled: float = 0.0) -> int | None:
        """``stalled``: how long this server recently did not look at its sockets. The
        requests it then finds came at some time in that stretch, not all at once: each
        is counted as having come at the earliest time in it that its rates allow, so
        that a bunch read after a stall does not run the rates' clocks ahead."""
        limit = self.limit
        # (key, interval, tolerance): no burst in all, a chat's burst in a chat.
        rates = [("all", 1 / limit.per_second, limit.slack),
                 (chat_id, 1 / limit.chat_per_second,
                  (limit.chat_burst - 1) / limit.chat_per_second + limit.slack)]  # fmt: skip
        allowed = now
        for key, _, tolerance in rates:
            allowed = max(allowed, self._tats.get(key, now) - tolerance)
        window = self._groups.setdefault(chat_id, deque()) if group else None
        if window is not None:
            while window and window[0] <= now - (60.0 - limit.slack):
                window.popleft()
            if len(window) >= limit.group_per_minute:
                allowed = max(allowed, window[0] + 60.0 - limit.slack)
        if allowed > now:
            return max(1, math.ceil(allowed - now))
        for key, interval, tolerance in rates:
            tat = self._tats.get(key, now)
            came = max(now - stalled, tat - tolerance) if stalled else now
            if key == "all":
                self.backdated += came < now - interval
            self._tats[key] = max(tat, came) + interval
        if window is not None:
            window.append(now)
        return None


@dataclass
class Fault:
    method: str
    status: int
    times: int
    retry_after: int | None = None
    chat_id: int | None = None


@dataclass
class Sent:
    """A message the bot sent (or edited); ``text`` as the user sees it."""

    chat_id: int
    text: str
    message_id: int
    params: dict[str, Any]
    at: float

    @property
    def html(self) -> str:
        return str(self.params["text"])

    @property
    def buttons(self) -> list[str]:
        """Every button's callback data, in order."""
        markup = self.params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard", [])
        return [button.get("callback_data", "") for row in rows for button in row]


@dataclass
class FakeBotAPI:
    token: str = TOKEN
    bot_id: int = BOT_ID
    username: str = BOT_USERNAME
    host: str = "127.0.0.1"
    port: int = 0

    calls: list[Call] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)
    photos: list[tuple[int, bytes]] = field(default_factory=list)
    commands: dict[str | None, list[dict[str, str]]] = field(default_factory=dict)
    webhook: dict[str, Any] | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    #: Telegram's limits, enforced with 429s; None: no limit.
    rate_limit: RateLimit | None = None
    #: sendMessage calls the limit refused with a 429.
    too_many: int = 0

    def __post_init__(self) -> None:
        self._pending: deque[dict[str, Any]] = deque()
        self._injected: dict[int, dict[str, Any]] = {}
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._faults: list[Fault] = []
        self._chat_types: dict[int, str] = {}
        self._changed = asyncio.Condition()
        self._closing = asyncio.Event()
        self._replies_open = asyncio.Event()
        self._replies_open.set()
        self._lost_gate = False
        self._runner: web.AppRunner | None = None
        self._limiter = Limiter(self.rate_limit) if self.rate_limit else None
        #: (when, how late) of this server's own event loop, while a limit is enforced.
        self._stalls: deque[tuple[float, float]] = deque()
        self._ticker: asyncio.Task[None] | None = None

    # Life ---------------------------------------------------------------

    def make_app(self) -> web.Application:
        """The server's routes; a subclass may add its own."""
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        return app

    async def start(self) -> FakeBotAPI:
        app = self.make_app()
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        if self._limiter is not None:
            self._ticker = asyncio.get_running_loop().create_task(self._tick())
        return self

    async def _tick(self) -> None:
        """Notice this server's own stalls (a busy machine), which bunch the requests
        that came meanwhile: they are read together, and would look like a burst."""
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(STALL_TICK)
            late = loop.time() - before - STALL_TICK
            if late > STALL_TICK:
                self._stalls.append((time.monotonic(), late))

    def _stalled(self, now: float) -> float:
        """The longest stall of this server that ended within one second of ``now``."""
        while self._stalls and self._stalls[0][0] < now - 1.0:
            self._stalls.popleft()
        return max((late for _, late in self._stalls), default=0.0)

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        # Pending long polls would hold the shutdown for their whole timeout.
        self._closing.set()
        self._replies_open.set()
        async with self._changed:
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    def environment(self) -> dict[str, str]:
        """The bot's settings for talking to this server."""
        return {
            "CANDIBOT_TELEGRAM_TOKEN": self.token,
            "CANDIBOT_TELEGRAM_BASE_URL": self.base_url,
            "CANDIBOT_TELEGRAM_BASE_FILE_URL": self.base_file_url,
        }

    # Injecting updates ----------------------------------------------------

    def inject(self, update: dict[str, Any]) -> int:
        """Queue an update (its ``update_id`` is assigned here); returns the id."""
        update_id = next(self._update_ids)
        self._pending.append({"update_id": update_id, **update})
        self._injected[update_id] = self._pending[-1]
        self._wake()
        return update_id

    def redeliver(self, update_id: int) -> None:
        """Queue an update again, as Telegram does when its confirmation was lost."""
        self._pending.append(self._injected[update_id])
        self._pending = deque(sorted(self._pending, key=lambda u: int(u["update_id"])))
        self._wake()

    def message(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        user_id: int | None = None,
        language: str | None = None,
        chat_type: str = "private",
        **extra: Any,
    ) -> int:
        """A message from a user; text starting with ``/`` carries a bot_command entity."""
        body = self._message_body(chat_id, user_id, language, chat_type)
        if text is not None:
            body["text"] = text
            if text.startswith("/"):
                command = text.split(None, 1)[0]
                body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        body.update(extra)
        return self.inject({"message": body})

    def press(
        self,
        chat_id: int,
        data: str,
        *,
        user_id: int | None = None,
        language: str | None = None,
        chat_type: str = "private",
        message_id: int | None = None,
    ) -> int:
        """A press of an inline button with callback data ``data`` under the bot's message."""
        self._chat_types[chat_id] = chat_type
        message = {
            "message_id": message_id or self._last_message_id(chat_id),
            "date": int(time.time()),
            "chat": _chat(chat_id, chat_type),
            "from": self._bot_user(),
            "text": "…",
        }
        query = {
            "id": f"q{next(self._query_ids)}",
            "from": _user(user_id or chat_id, language),
            "chat_instance": f"ci{chat_id}",
            "data": data,
            "message": message,
        }
        return self.inject({"callback_query": query})

    def photo(
        self, chat_id: int, data: bytes, *, caption: str | None = None, **options: Any
    ) -> int:
        """A photo message; the bytes are served through getFile and the file URL."""
        file_id = f"photo{len(self.files) + 1}"
        self.files[file_id] = data
        self.files[file_id + "s"] = data[:100]  # a thumbnail the bot should not pick
        sizes = [
            {"file_id": file_id + "s", "file_unique_id": "us", "width": 90, "height": 68},
            {
                "file_id": file_id,
                "file_unique_id": "u" + file_id,
                "width": 1280,
                "height": 960,
                "file_size": len(data),
            },
        ]
        extra: dict[str, Any] = {"photo": sizes}
        if caption is not None:
            extra["caption"] = caption
        return self.message(chat_id, None, **options, **extra)

    def document(self, chat_id: int, **options: Any) -> int:
        document = {"file_id": "doc1", "file_unique_id": "udoc1", "file_name": "a.pdf"}
        return self.message(chat_id, None, document=document, **options)

    def pending(self) -> int:
        """Updates Telegram still holds (not confirmed by a higher offset)."""
        return len(self._pending)

    # Faults -----------------------------------------------------------------

    def fail(
        self,
        method: str,
        status: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
        chat_id: int | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (for ``chat_id``) with ``status``."""
        self._faults.append(Fault(method, status, times, retry_after, chat_id))

    def hold_replies(self) -> None:
        """Keep sendMessage requests waiting until ``release_replies``."""
        self._replies_open.clear()
        self._lost_gate = False

    def release_replies(self, *, lost: bool = False) -> None:
        """Let held requests through; ``lost``: drop them unrecorded instead, as if they
        had never left a bot that was killed while sending them."""
        self._lost_gate = lost
        held, self._replies_open = self._replies_open, asyncio.Event()
        self._replies_open.set()
        held.set()

    # Reading what happened ------------------------------------------------

    def texts(self, chat_id: int) -> list[str]:
        return [sent.text for sent in self.sent if sent.chat_id == chat_id]

    def last(self, chat_id: int) -> Sent:
        return [sent for sent in self.sent if sent.chat_id == chat_id][-1]

    def count(self, method: str) -> int:
        return sum(1 for call in self.calls if call.method == method)

    @property
    def backdated(self) -> int:
        """Messages counted as having come earlier than read, after a stall of this
        server's own (``RateLimit``)."""
        return self._limiter.backdated if self._limiter else 0

    def busiest(self, seconds: float = 1.0) -> int:
        """The most messages this server took in any ``seconds`` (a sliding window)."""
        stamps = sorted(sent.at for sent in self.sent)
        most, first = 0, 0
        for last, stamp in enumerate(stamps):
            while stamp - stamps[first] >= seconds:
                first += 1
            most = max(most, last - first + 1)
        return most

    async def wait_for(
        self, condition: Callable[[], bool], timeout: float = 10.0, what: str = "condition"
    ) -> None:
        """Wait until ``condition()`` holds, re-checked whenever the bot calls the server."""

        async def waiting() -> None:
            async with self._changed:
                await self._changed.wait_for(condition)

        try:
            await asyncio.wait_for(waiting(), timeout)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}") from None

    async def replies(self, chat_id: int, count: int, timeout: float = 10.0) -> list[Sent]:
        """Wait until ``chat_id`` has had ``count`` messages; returns all it has had."""
        await self.wait_for(
            lambda: len(self.texts(chat_id)) >= count, timeout, f"{count} replies to {chat_id}"
        )
        return [sent for sent in self.sent if sent.chat_id == chat_id]

    async def post_webhook(self, update: dict[str, Any], *, secret: str | None = None) -> int:
        """Deliver ``update`` to the bot's webhook as Telegram does; returns the HTTP status.

        ``secret`` overrides the registered secret token ("" sends none)."""
        assert self.webhook is not None, "no webhook is set"
        token = self.webhook.get("secret_token", "") if secret is None else secret
        headers = {"X-Telegram-Bot-Api-Secret-Token": token} if token else {}
        body = {"update_id": next(self._update_ids)} | update
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.webhook["url"], json=body, headers=headers) as response,
        ):
            return response.status

    def update_body(self, chat_id: int, text: str, **options: Any) -> dict[str, Any]:
        """A message update's body without an id, e.g. for ``post_webhook``."""
        body = self._message_body(
            chat_id,
            options.get("user_id"),
            options.get("language"),
            options.get("chat_type", "private"),
        )
        body["text"] = text
        if text.startswith("/"):
            length = len(text.split(None, 1)[0])
            body["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return {"message": body}

    # The API ----------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        call = Call(method, params, time.monotonic())
        self.calls.append(call)
        self._wake()
        try:
            if request.match_info["token"] != self.token:
                call.status = 401
                return _error(401, "Unauthorized")
            fault = self._take_fault(method, params)
            if fault is not None:
                call.status = fault.status
                return _error(fault.status, "injected fault", fault.retry_after)
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                call.status = 404
                return _error(404, "Not Found: method not found")
            result = await handler(params)
            if isinstance(result, web.Response):
                call.status = result.status
                return result
            return web.json_response({"ok": True, "result": result})
        finally:
            self._wake()

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        data = self.files.get(file_id)
        return web.Response(body=data) if data is not None else web.Response(status=404)

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for fault in self._faults:
            if fault.method != method or fault.times <= 0:
                continue
            if fault.chat_id is not None and _int(params.get("chat_id")) != fault.chat_id:
                continue
            fault.times -= 1
            return fault
        return None

    async def _m_getMe(self, params: dict[str, Any]) -> Any:
        return self._bot_user()

    async def _m_getUpdates(self, params: dict[str, Any]) -> Any:
        if self.webhook is not None:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = _int(params.get("offset")) or 0
        limit = _int(params.get("limit")) or 100
        timeout = float(params.get("timeout") or 0)
        while self._pending and self._pending[0]["update_id"] < offset:
            self._pending.popleft()  # confirmed: Telegram forgets it
        if not self._pending and timeout > 0 and not self._closing.is_set():
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._changed.wait_for(
                            lambda: bool(self._pending) or self._closing.is_set()
                        ),
                        timeout,
                    )
        return list(itertools.islice(self._pending, limit))

    async def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        gate = self._replies_open
        if not gate.is_set():
            await gate.wait()
            if self._lost_gate:
                return _error(502, "Bad Gateway: the request never arrived")
        if self._limiter is not None:
            chat_id = _int(params["chat_id"]) or 0
            group = self._chat_types.get(chat_id, "private") != "private"
            now = time.monotonic()
            retry_after = self._limiter.admit(chat_id, group, now, self._stalled(now))
            if retry_after is not None:
                self.too_many += 1
                return _error(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        return self._record(params, next(self._message_ids))

    async def _m_sendPhoto(self, params: dict[str, Any]) -> Any:
        """Keep the photo's bytes; answer like Telegram with a message of its own."""
        chat_id = _int(params["chat_id"])
        assert chat_id is not None
        upload = params["photo"]
        data = upload.file.read() if hasattr(upload, "file") else bytes(str(upload), "utf-8")
        self.photos.append((chat_id, data))
        message_id = next(self._message_ids)
        return self._bot_message(chat_id, message_id, "")

    async def _m_editMessageText(self, params: dict[str, Any]) -> Any:
        return self._record(params, _int(params["message_id"]) or 0)

    def _record(self, params: dict[str, Any], message_id: int) -> Any:
        """Check a message as Telegram does (HTML, length) and keep it."""
        chat_id = _int(params["chat_id"])
        assert chat_id is not None
        text = str(params["text"])
        if params.get("parse_mode") == "HTML":
            try:
                text = visible_text(text)
            except ValueError as exc:
                return _error(400, f"Bad Request: can't parse entities: {exc}")
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            return _error(400, "Bad Request: message is too long")
        self.sent.append(Sent(chat_id, text, message_id, params, time.monotonic()))
        return self._bot_message(chat_id, message_id, text)

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        self.answered.append(str(params["callback_query_id"]))
        return True

    async def _m_setMyCommands(self, params: dict[str, Any]) -> Any:
        self.commands[params.get("language_code") or None] = list(params["commands"])
        return True

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = None
        return True

    async def _m_setWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = dict(params)
        return True

    async def _m_getFile(self, params: dict[str, Any]) -> Any:
        file_id = str(params["file_id"])
        if file_id not in self.files:
            return _error(400, "Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": "u" + file_id,
            "file_size": len(self.files[file_id]),
            "file_path": f"photos/{file_id}",
        }

    # Pieces -------------------------------------------------------------------

    def _wake(self) -> None:
        async def notify() -> None:
            async with self._changed:
                self._changed.notify_all()

        asyncio.get_running_loop().create_task(notify())

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "candibot",
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _bot_message(self, chat_id: int, message_id: int, text: str) -> dict[str, Any]:
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": _chat(chat_id, self._chat_types.get(chat_id, "private")),
            "from": self._bot_user(),
            "text": text,
        }

    def _message_body(
        self, chat_id: int, user_id: int | None, language: str | None, chat_type: str
    ) -> dict[str, Any]:
        self._chat_types[chat_id] = chat_type
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": _chat(chat_id, chat_type),
            "from": _user(user_id or chat_id, language),
        }

    def _last_message_id(self, chat_id: int) -> int:
        mine = [sent.message_id for sent in self.sent if sent.chat_id == chat_id]
        return mine[-1] if mine else next(self._message_ids)


def _chat(chat_id: int, chat_type: str) -> dict[str, Any]:
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": "Citizen"}
    return {"id": chat_id, "type": chat_type, "title": "A group"}


def _user(user_id: int, language: str | None) -> dict[str, Any]:
    user: dict[str, Any] = {
        "id": user_id,
        "is_bot": False,
        "first_name": "Citizen",
        "username": f"citizen{user_id}",
    }
    if language:
        user["language_code"] = language
    return user


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)


async def _params(request: web.Request) -> dict[str, Any]:
    """JSON bodies, or form fields (python-telegram-bot's default) with JSON inside some."""
    if request.content_type == "application/json":
        raw = await request.read()
        params: dict[str, Any] = json.loads(raw) if raw else {}
    elif request.can_read_body:
        params = dict(await request.post())
    else:
        params = dict(request.query)
    for key, value in list(params.items()):
        if key in JSON_FIELDS and isinstance(value, str):
            params[key] = json.loads(value)
    return params


#: The tags Telegram's HTML parse mode knows.
TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TAGS:
            raise ValueError(f"unsupported start tag {tag!r}")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            raise ValueError(f"unexpected end tag {tag!r}")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


TAG = re.compile(r'</?(?:b|strong|i|em|u|ins|s|strike|del|code|pre)>|<a href="[^"<>]*">|</a>')
BARE_AMPERSAND = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")


def visible_text(markup: str) -> str:
    """The text Telegram shows for ``markup`` in HTML parse mode; ValueError where Telegram
    would refuse it: an unknown or unbalanced tag, a bare ``<``, ``>`` or ``&``."""
    rest = TAG.sub("", markup)
    if "<" in rest or ">" in rest or BARE_AMPERSAND.search(rest):
        raise ValueError("a character that should have been escaped")
    parser = _Visible()
    parser.feed(markup)
    parser.close()
    if parser.open:
        raise ValueError(f"unclosed tag {parser.open[-1]!r}")
    return "".join(parser.parts)
