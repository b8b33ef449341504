"""python-telegram-bot's request seam on aiohttp: the same Bot API calls, cheaper per request.

PTB's default ``HTTPXRequest`` spends most of a busy bot's event loop in httpcore's
per-request work. This class sends the same requests through one aiohttp session
(JSON bodies, multipart only for uploads) and maps failures to PTB's exceptions.
Error messages never carry the URL, which holds the bot's token.
"""

from __future__ import annotations

import json

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

JSON_HEADERS = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    __slots__ = ("_connections", "_media_write_timeout", "_session", "_timeouts")

    def __init__(
        self,
        *,
        connections: int = 64,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._connections = connections
        self._timeouts = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts[0]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                headers={"User-Agent": self.USER_AGENT},
                # No cookies: the Bot API sets none, and a jar costs time per request.
                cookie_jar=aiohttp.DummyCookieJar(),
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        write_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        connect_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        pool_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("this AiohttpRequest is not initialized")
        uploads = bool(request_data and request_data.contains_files)
        default_read, default_write, default_connect, default_pool = self._timeouts
        if uploads:
            default_write = self._media_write_timeout
        read = _chosen(read_timeout, default_read)
        write = _chosen(write_timeout, default_write)
        connect = _chosen(connect_timeout, default_connect)
        pool = _chosen(pool_timeout, default_pool)
        # aiohttp has no separate write timeout: a request's sending counts towards sock_read.
        timeout = aiohttp.ClientTimeout(
            connect=_sum(pool, connect),
            sock_connect=connect,
            sock_read=_sum(read, write),
        )
        body: bytes | aiohttp.FormData | None = None
        headers = None
        if request_data is not None:
            if uploads:
                body = _form(request_data)
            else:
                body, headers = json.dumps(request_data.parameters).encode(), JSON_HEADERS
        try:
            async with session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError:
            raise TimedOut from None
        except aiohttp.ClientError as exc:
            # The exception's text may quote the URL, and with it the token.
            raise NetworkError(f"aiohttp.{type(exc).__name__}") from None


def _chosen(given: object, default: float | None) -> float | None:
    if given is BaseRequest.DEFAULT_NONE:
        return default
    return given if isinstance(given, int | float) else None


def _sum(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a + b


def _form(request_data: RequestData) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
