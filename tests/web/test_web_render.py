"""What the page shows: everything escaped, only web links kept, receipts set apart, the
language the browser asks for."""

from __future__ import annotations

import pytest

from bot.adapters.web.language import from_header
from bot.adapters.web.render import lines
from bot.app import App
from bot.core.markup import Span, Text, code, link, plain
from tests.web.client import WebClient
from tests.web.conftest import serving

HOSTILE = '<script>alert(1)</script><b onmouseover="x">\'&'


async def test_what_a_user_writes_is_escaped_on_the_page(app: App) -> None:
    async with serving(app) as web, WebClient(web.port or 0) as client:
        page = await client.say(HOSTILE)
    assert "<script>alert" not in page.html and "<b onmouseover" not in page.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b onmouseover=&#34;x&#34;&gt;&#39;&amp;" in (
        page.html
    )


def test_only_web_links_keep_their_address() -> None:
    shown = lines(link("safe", "https://example.org/a?b=1") + link("bad", "javascript:alert(1)"))
    assert shown[0].pieces == (Span("safe", "link", "https://example.org/a?b=1"), Span("bad"))


def test_a_code_alone_on_its_line_is_a_keepsake() -> None:
    shown = lines(plain("Your receipt:\n") + code("1234 5678 9012 3456") + plain("\nKeep it"))
    assert [line.keepsake for line in shown] == [False, True, False]
    inline = lines(Text((Span("see "), Span("/status", "code"))))
    assert not inline[0].keepsake


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh_CN"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("fr-FR,fr;q=0.9,en;q=0.5", "en"),
        ("fr,de;q=0.5", "zh_CN"),
        ("en;q=0.2,zh-TW;q=0.7", "zh_CN"),
        ("en;q=0", "zh_CN"),
        (None, "zh_CN"),
        ("en;q=abc, zh", "zh_CN"),
    ],
)
def test_the_browsers_language_is_the_pages(header: str | None, language: str) -> None:
    assert from_header(header) == language
