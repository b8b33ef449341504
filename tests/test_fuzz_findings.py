"""What the fuzzer (tests/test_fuzz.py) found, each pinned by a plain test that failed
before its fix, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.core.dispatcher import FAILED
from tests.fuzzing import checks
from tests.helpers import texts
from tests.staffed import ALICE, attached, staffed_app

CITIZEN = "4242"


@pytest.fixture
async def bot(db_url: str) -> AsyncIterator[App]:
    app = await staffed_app(db_url)
    yield app
    await app.close()


#: Digits to ``str.isdigit`` that ``int`` refuses, and numbers past a database integer.
NOT_IDS = ("²", "①", "4294967296", "9223372036854775808", "99999999999999999999")


LINES = (("/candidate {}", CITIZEN), ("/c {}", CITIZEN), ("/verify {}", ALICE),
         ("/revoke {}", ALICE), ("/trust {} off", ALICE))  # fmt: skip
PAYLOADS = (
    ("cand:{}", CITIZEN), ("srch:{}", CITIZEN), ("sub::{}", CITIZEN), ("dist:330106:{}", CITIZEN),
    ("cmpa:330106:{}", CITIZEN), ("cmp:{}:0", CITIZEN), ("cmp:1:{}", CITIZEN),
    ("inc::{}", CITIZEN), ("tpc:housing:{}", CITIZEN), ("q:pub:{}", ALICE), ("qc:ok:u:{}", ALICE),
)  # fmt: skip


async def _failing(bot: App, cases: tuple[tuple[str, str], ...], *, press: bool) -> list[str]:
    """Which of ``cases`` (with each of NOT_IDS) were not answered or logged an error."""
    chat = attached(bot)
    failed = []
    with checks.logged_errors() as errors:
        for shape, user in cases:
            for sent in (shape.format(number) for number in NOT_IDS):
                replies = await (chat.press if press else chat.say)(sent, user=user)
                if errors or not texts(replies) or FAILED in texts(replies):
                    failed.append(sent)
                errors.clear()
    return failed


async def test_a_number_no_candidate_has_is_answered_not_failed(bot: App) -> None:
    assert not await _failing(bot, LINES, press=False)


async def test_a_forged_number_in_a_button_is_answered_not_failed(bot: App) -> None:
    assert not await _failing(bot, PAYLOADS, press=True)
