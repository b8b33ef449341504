"""What the bot says about an election is as firm as the facts: the election day's line
follows the election's status, an unknown day is not called "expected" and "not
announced" at once, and a township without an election of its own points to its
county's, in which its voters elect deputies too (Election Law Art. 3)."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from bot.adapters.memory import MemoryAdapter
from bot.app import App
from storage.areas import AreaView, add_areas
from storage.models import Election, ElectionStatus
from storage.unit import unit_factory
from tests.helpers import payloads, texts

JINXIAN = "360124"
LANGUAGES = pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh-hans", {"confirmed": "已确认", "announced": "已公布", "expected": "预计"}),
        ("en", {"confirmed": "confirmed", "announced": "announced", "expected": "expected"}),
    ],
)


async def _set(app: App, **values: object) -> None:
    async with unit_factory(app.engine)() as unit:
        await unit.session.execute(
            update(Election).where(Election.area_code == JINXIAN).values(**values)
        )


@LANGUAGES
async def test_the_election_days_line_says_the_elections_status(
    app: App, chat: MemoryAdapter, language: str, words: dict[str, str]
) -> None:
    await _set(app, status=ElectionStatus.confirmed)

    reply = texts(await chat.say("/elections 进贤县", language=language))
    day_line = next(line for line in reply.splitlines() if "34" in line or "三十四" in line)

    assert words["confirmed"] in day_line and words["announced"] not in day_line


@LANGUAGES
async def test_an_unknown_day_is_not_called_expected_and_unannounced_at_once(
    app: App, chat: MemoryAdapter, language: str, words: dict[str, str]
) -> None:
    await _set(app, status=ElectionStatus.expected, election_day=None)

    for asked in ("/area 进贤县", "/elections 进贤县"):
        reply = texts(await chat.say(asked, language=language))
        assert words["expected"] not in reply, reply


@pytest.mark.parametrize(("language", "pointer"), [("zh-hans", "同时参加"), ("en", "also elect")])
async def test_a_township_without_an_election_points_to_its_countys(
    app: App, chat: MemoryAdapter, language: str, pointer: str
) -> None:
    async with unit_factory(app.engine)() as unit:
        await add_areas(unit.session, [AreaView("360124199", "测试镇", "township", JINXIAN)])

    for asked in ("/area 测试镇", "/elections 测试镇"):
        reply = await chat.say(asked, language=language)
        assert pointer in texts(reply) and "进贤县" in texts(reply), asked
        assert f"area:{JINXIAN}" in payloads(reply)
