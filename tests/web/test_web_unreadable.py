"""A form whose bytes are not UTF-8 (no browser sends one; the fuzzer did) is refused in
the reader's language, as the core refuses such text, and logs no error."""

from __future__ import annotations

from typing import Any

from bot.app import App
from tests.fuzzing import checks
from tests.web.client import WebClient
from tests.web.conftest import serving

URLENCODED = {"Content-Type": "application/x-www-form-urlencoded"}
WORDS = {"zh-CN": "它不是有效的 UTF-8 文本", "en": "it is not valid UTF-8 text"}


async def test_a_form_that_is_not_utf8_is_refused_in_the_readers_language(app: App) -> None:
    with checks.logged_errors() as errors:
        async with serving(app) as web, WebClient(web.port or 0) as client:
            for path in ("/say", "/press", "/language", "/end"):
                for language, words in WORDS.items():
                    body: Any = b"csrf=" + (await client._token()).encode() + b"&text=\xff\xfe"
                    page = await client.post(path, body, **URLENCODED, **{
                        "Accept-Language": language})  # fmt: skip
                    assert page.status == 400 and words in page.text, (path, language)
    assert not errors, checks.describe(errors)
