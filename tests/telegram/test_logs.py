"""No user ids, usernames, chat ids, message texts or the token in the logs, at any level."""

from __future__ import annotations

import logging

import pytest

from bot.app import App
from tests.telegram.conftest import gps_jpeg, running
from tests.telegram.fake_api import FakeBotAPI

pytestmark = pytest.mark.filterwarnings("ignore:.*`retry_after`.*")

REPORTER = 5550172839
SECRET_WORDS = "他们威胁我的家人 threatening-phrase-xyz"


async def test_nothing_identifying_is_logged_even_at_debug(
    reporting: App, fake: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.fail("sendMessage", 429, retry_after=1, times=1, chat_id=REPORTER)
    fake.fail("sendMessage", 502, times=1)
    fake.fail("getFile", 500, times=1)

    def say(text: str) -> None:
        fake.message(REPORTER, text, language="en")

    def press(data: str) -> None:
        fake.press(REPORTER, data, language="en")

    async with running(reporting, fake):
        say("/search zeng lixin")
        say("/report")
        press("rpt:go")
        press("rptc:threatening_calls")
        press("rpta:")
        press("rptw:this_week")
        say(f"{SECRET_WORDS}: the caller said so, and again.")
        fake.photo(REPORTER, gps_jpeg(), caption="caption-words-xyz", language="en")
        fake.document(REPORTER, language="en")
        press("rptp:done")
        press("rptpub:no")
        press("rpts:send")
        await fake.wait_for(lambda: fake.pending() == 0 and len(fake.answered) == 7, 20)
        await fake.replies(REPORTER, 12)
    logged = caplog.text + "\n".join(str(r.msg) + repr(r.args) for r in caplog.records)
    for secret in (
        str(REPORTER),
        f"citizen{REPORTER}",
        "zeng lixin",
        SECRET_WORDS,
        "threatening-phrase-xyz",
        "caption-words-xyz",
        fake.token,
        fake.token.split(":")[1],
    ):
        assert secret not in logged, secret
    # The failures were logged, by kind only.
    assert "429" in logged and "NetworkError" in logged
