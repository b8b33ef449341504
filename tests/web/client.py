"""A browser without a browser: aiohttp's client with a cookie jar, reading the pages."""

from __future__ import annotations

import html
import re
from types import TracebackType

import aiohttp

CSRF = re.compile(r'name="csrf" value="([^"]*)"')
PAYLOAD = re.compile(r'name="payload" value="([^"]*)"')
TAG = re.compile(r"<[^>]+>")
HIDDEN = re.compile(r'<input type="hidden" name="([^"]*)" value="([^"]*)">')


class Page:
    def __init__(self, status: int, body: str, headers: dict[str, str]) -> None:
        self.status, self.html, self.headers = status, body, headers

    @property
    def text(self) -> str:
        """What a reader sees, roughly: tags dropped, entities decoded."""
        return html.unescape(TAG.sub(" ", self.html))

    @property
    def csrf(self) -> str:
        found = CSRF.search(self.html)
        assert found, "the page has no form"
        return html.unescape(found.group(1))

    def hidden(self, action: str) -> dict[str, str]:
        """The hidden fields of the page's form that posts to ``action``, as a browser
        sends them."""
        form = re.search(
            rf'<form method="post" action="{re.escape(action)}".*?</form>', self.html, re.S
        )
        assert form, f"the page has no form for {action}"
        return {name: html.unescape(value) for name, value in HIDDEN.findall(form.group(0))}

    @property
    def payloads(self) -> list[str]:
        return [html.unescape(p) for p in PAYLOAD.findall(self.html)]


class WebClient:
    def __init__(self, port: int, **headers: str) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.jar = aiohttp.CookieJar(unsafe=True)
        self.session = aiohttp.ClientSession(cookie_jar=self.jar, headers=headers)
        self.page: Page | None = None

    async def __aenter__(self) -> WebClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.session.close()

    @property
    def cookie(self) -> str | None:
        for cookie in self.jar:
            if cookie.key == "candibot":
                return cookie.value
        return None

    async def _read(self, response: aiohttp.ClientResponse) -> Page:
        self.page = Page(response.status, await response.text(), dict(response.headers))
        return self.page

    async def get(self, path: str = "/", **headers: str) -> Page:
        async with self.session.get(self.base + path, headers=headers) as response:
            return await self._read(response)

    async def post(
        self, path: str, data: dict[str, str] | aiohttp.FormData, **headers: str
    ) -> Page:
        """A form post; the redirect (303) is followed, as a browser does."""
        async with self.session.post(self.base + path, data=data, headers=headers) as response:
            return await self._read(response)

    async def _token(self) -> str:
        if self.page is None or self.page.status != 200:
            await self.get()
        assert self.page is not None
        return self.page.csrf

    async def say(self, text: str) -> Page:
        return await self.post("/say", {"csrf": await self._token(), "text": text})

    async def press(self, payload: str) -> Page:
        return await self.post("/press", {"csrf": await self._token(), "payload": payload})

    async def upload(self, data: bytes, content_type: str = "image/jpeg") -> Page:
        form = aiohttp.FormData()
        form.add_field("csrf", await self._token())
        form.add_field("photo", data, filename="IMG_0001.jpg", content_type=content_type)
        return await self.post("/photo", form)
