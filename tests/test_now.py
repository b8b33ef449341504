"""/now: what a voter, and someone who wants to stand, can still do, with each deadline
and its article, at every phase of an election (a fixed clock), in both languages, on
SQLite and PostgreSQL; places found as everywhere, and a township without an election
of its own pointed to its county's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from bot.adapters.memory import MemoryAdapter
from bot.app import App, build_app
from handlers.now import steps
from handlers.policy import Policy
from storage.areas import AreaView, add_areas
from storage.dataset import load_dataset, read_packaged
from storage.models import Election
from storage.unit import unit_factory
from tests.conftest import TEST_KEY
from tests.helpers import payloads, texts

EN, ZH = "en", "zh-hans"
XIHU = "330106"  # 杭州市西湖区: election day 2026-12-15, nothing announced before it
JINXIAN = "360124"  # 进贤县: 2026-12-18
LIDU = "360124101"  # 李渡镇: an election of its own, and in a district of 进贤县's
XIXI = "330106004"  # 西溪街道: no election of its own, in a district of 西湖区's


@dataclass
class Today:
    """The clock the app is given: noon in Beijing on ``day``, which a test moves."""

    day: date = date(2026, 11, 28)

    def __call__(self) -> datetime:
        return datetime(self.day.year, self.day.month, self.day.day, 4, 0, tzinfo=UTC)


@pytest.fixture
def today() -> Today:
    return Today()


@pytest.fixture
async def app(db_url: str, today: Today) -> AsyncIterator[App]:
    app = await build_app(db_url, TEST_KEY, migrate=False, policy=Policy(clock=today))
    async with unit_factory(app.engine)() as unit:
        await load_dataset(unit.session, read_packaged())
    yield app
    await app.close()


async def _ask(chat: MemoryAdapter, language: str, what: str = f"/now {XIHU}") -> str:
    return texts(await chat.say(what, language=language))


def _open_and_past(reply: str) -> tuple[str, str]:
    """The steps still open, and those listed as past."""
    for heading in ("Already past:", "已过："):
        if heading in reply:
            before, _, after = reply.partition(heading)
            return before, after
    return reply, ""


# Each phase of 西湖区's election: the day, then what is open and what is past, in English
# and in Chinese. Nothing is announced but the day, so the roll and the nominees' list
# are the latest the law allows: 20 and 15 days before (Arts. 28, 32).
PHASES = {
    "before the roll": (
        date(2026, 11, 20),
        ["Check that you are on the voter roll when it is published, on November 25, 2026 "
         "at the latest. (Election Law Art. 28)",
         "within 5 days of its publication: until November 30, 2026 at the latest. "
         "(Election Law Art. 29)",
         "Nominate a candidate jointly with at least ten voters, before the list of nominees "
         "is published on November 30, 2026 at the latest. (Election Law Art. 30)",
         "until December 14, 2026, the day before the vote. (Election Law Art. 34)",
         "Vote on December 15, 2026", "If you want to stand:"],
        [],
        ["公布日期：最迟2026年11月25日。（《选举法》第二十八条）", "5日内向选举委员会提出申诉",
         "（《选举法》第二十九条）", "选民十人以上联名推荐代表候选人", "（《选举法》第三十条）",
         "截至2026年12月14日，即选举日前一天。（《选举法》第三十四条）", "如果你想参选："],
        [],
    ),
    "during objections": (
        date(2026, 11, 27),
        ["Check that you are on the voter roll, published on November 25, 2026 at the latest.",
         "object to the election committee until November 30, 2026 at the latest.",
         "before the list of nominees is published on November 30, 2026 at the latest."],
        [],
        ["核对自己是否在选民名单上（名单公布日期：最迟2026年11月25日）。",
         "请向选举委员会提出申诉，截止日期：最迟2026年11月30日。"],
        [],
    ),
    "on the last day to object, when the nominees are published": (
        date(2026, 11, 30),
        ["Today is the last day to object to the election committee if you are missing from "
         "the roll or listed wrongly. (Election Law Art. 29)"],
        ["Nominations are closed: the list of nominees was published on November 30, 2026"],
        ["今天是向选举委员会提出申诉的最后一天"],
        ["推荐已截止：代表候选人名单已公布（最迟2026年11月30日）"],
    ),
    "after nominations close": (
        date(2026, 12, 5),
        ["Ask the election committee to arrange a meeting with the candidates",
         "Vote on December 15, 2026", "As a candidate, meet voters"],
        ["The voter roll was published on November 25, 2026 at the latest.",
         "The time to object to the voter roll ended on November 30, 2026 at the latest.",
         "Nominations are closed: the list of nominees was published on November 30, 2026 "
         "at the latest."],
        ["你可以要求选举委员会组织代表候选人与选民见面"],
        ["选民名单已公布（最迟2026年11月25日）", "推荐已截止"],
    ),
    "on the eve": (
        date(2026, 12, 14),
        ["Today is the last day to ask the election committee for a meeting with the "
         "candidates: tomorrow is the vote.", "Vote on December 15, 2026"],
        ["Nominations are closed"],
        ["今天是要求选举委员会组织与候选人见面的最后一天", "2026年12月15日投票"],
        ["推荐已截止"],
    ),
    "on the day": (
        date(2026, 12, 15),
        ["Vote today: for or against each candidate"],
        ["Meetings with the candidates ended on December 14, 2026: all introduction of "
         "candidates stops on election day."],
        ["今天投票"],
        ["与候选人见面已于2026年12月14日结束"],
    ),
    "after": (
        date(2026, 12, 20),
        ["Nothing is open any more", "No coming election is recorded here yet."],
        ["Election day was December 15, 2026.", "The voter roll was published"],
        ["现在没有可以办的了"],
        ["选举日是2026年12月15日。"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("phase", list(PHASES))
async def test_now_lists_what_is_still_open_and_what_is_past_at_each_phase(
    app: App, chat: MemoryAdapter, today: Today, phase: str
) -> None:
    today.day, en_open, en_past, zh_open, zh_past = PHASES[phase]

    for language, still, gone in ((EN, en_open, en_past), (ZH, zh_open, zh_past)):
        opened, past = _open_and_past(await _ask(chat, language))

        for phrase in still:
            assert phrase in opened, (phase, language, phrase, opened)
        for phrase in gone:
            assert phrase in past and phrase not in opened, (phase, language, phrase, past)


async def test_nothing_is_past_before_the_roll_and_every_step_is_past_after(
    app: App, chat: MemoryAdapter, today: Today
) -> None:
    today.day = date(2026, 11, 20)
    before = await _ask(chat, EN)
    today.day = date(2026, 12, 20)
    after = await _ask(chat, EN)

    assert "Already past:" not in before and "As a voter:" in before
    assert "As a voter:" not in after and "If you want to stand:" not in after
    # Each step listed once: the nominations of voters and of those who stand end alike.
    assert after.count("Nominations are closed") == 1
    assert after.count("• ") == len(steps()) - 2


async def test_an_announced_roll_gives_the_exact_objection_deadline(
    app: App, chat: MemoryAdapter, today: Today
) -> None:
    async with unit_factory(app.engine)() as unit:
        await unit.session.execute(
            update(Election)
            .where(Election.area_code == XIHU)
            .values(roll_published_on=date(2026, 11, 22))
        )
    today.day = date(2026, 11, 27)

    reply = await _ask(chat, EN)

    assert "published on November 22, 2026. (Election Law Art. 28)" in reply
    # Art. 29: 5 days from the publication, which is no longer "at the latest".
    assert "object to the election committee until November 27, 2026" not in reply
    assert "Today is the last day to object to the election committee" in reply
    today.day = date(2026, 11, 28)
    assert (
        "The time to object to the voter roll ended on November 27, 2026."
        in _open_and_past(await _ask(chat, EN))[1]
    )


async def test_unannounced_and_postponed_days_say_so_for_every_step(
    app: App, chat: MemoryAdapter
) -> None:
    for language, unknown, period in (
        (EN, "[date not announced yet]", "at the latest 20 days before election day"),
        (ZH, "[日期尚未公布]", "选民名单最迟在选举日的20日以前公布"),
    ):
        for place in ("110108", "110105"):  # 海淀区: not announced; 朝阳区: postponed
            reply = await _ask(chat, language, f"/now {place}")

            assert reply.count(unknown) == len(steps()), reply
            assert "Already past" not in reply and "已过：" not in reply
            assert period in reply  # the law's period, said instead of a date
    postponed = await _ask(chat, EN, "/now 110105")
    assert "Postponed: it was planned for November 26, 2026" in postponed


async def test_a_township_without_an_election_shows_its_countys(
    app: App, chat: MemoryAdapter, today: Today
) -> None:
    async with unit_factory(app.engine)() as unit:
        await add_areas(unit.session, [AreaView("360124199", "测试镇", "township", JINXIAN)])
    today.day = date(2026, 12, 1)

    for language, pointer, place, county, day in (
        (EN, "also elect", "360124199", "进贤县", "18"),
        (ZH, "同时参加", "360124199", "进贤县", "18"),
        (EN, "also elect", XIXI, "西湖区", "15"),
        (ZH, "同时参加", XIXI, "西湖区", "15"),
    ):
        replies = await chat.say(f"/now {place}", language=language)
        reply = texts(replies)

        assert ("No election is recorded for" in reply) or ("尚无" in reply), reply
        assert pointer in reply and county in reply
        assert f"December {day}, 2026" in reply or f"2026年12月{day}日" in reply
        assert any(p.startswith("area:") and p != f"area:{place}" for p in payloads(replies))


async def test_a_township_with_its_own_election_points_to_the_countys_too(
    app: App, chat: MemoryAdapter
) -> None:
    replies = await chat.say(f"/now {LIDU}", language=EN)
    reply = texts(replies)

    assert "李渡镇, township people's congress: election day December 18, 2026" in reply
    assert "Voters here also elect the deputies of 进贤县" in reply
    assert f"now:{JINXIAN}" in payloads(replies)
    assert "No election is recorded" not in reply


async def test_places_are_found_as_everywhere(app: App, chat: MemoryAdapter) -> None:
    for query in ("进贤县", "jinxian", "jxx", JINXIAN, "南昌进贤县"):
        assert "What you can still do in 进贤县" in await _ask(chat, EN, f"/now {query}"), query
    # Two places called 西湖区: a button each, labelled with its parents.
    async with unit_factory(app.engine)() as unit:
        await add_areas(unit.session, [AreaView("360103", "西湖区", "county", "360100")])
    ambiguous = await chat.say("/now 西湖区", language=EN)
    assert payloads(ambiguous) == [f"now:{XIHU}", "now:360103"]
    assert "南昌市 › 西湖区" in str(ambiguous)
    # A near spelling offers the place.
    assert f"now:{XIHU}" in payloads(await chat.say("/now xihuu", language=EN))
    assert "I found no place called “qqqq”." in await _ask(chat, EN, "/now qqqq")
    assert "没有找到名为“qqqq”的地方。" in await _ask(chat, ZH, "/now qqqq")


async def test_a_province_offers_its_counties(app: App, chat: MemoryAdapter) -> None:
    replies = await chat.say("/now 浙江省", language=EN)

    assert "Elections are held for counties and townships" in texts(replies)
    assert "nowdd:330100:0" in payloads(replies)
    county = await chat.press("nowdd:330100:0", language=EN)
    assert f"now:{XIHU}" not in payloads(county)  # counties open; their townships are picked
    opened = await chat.press(f"nowdd:{XIHU}:0", language=EN)
    assert f"now:{XIHU}" in payloads(opened) and f"now:{XIXI}" in payloads(opened)


async def test_without_a_place_it_asks_and_then_remembers(app: App, chat: MemoryAdapter) -> None:
    asked = await chat.say("/now", language=ZH)
    assert "哪个地方" in texts(asked) and "nowdd:330000:0" in payloads(asked)
    # A name typed in answer is the place.
    assert "在进贤县你还能做什么" in texts(await chat.say("进贤县", language=ZH))
    # And the place last looked at answers the next /now.
    assert "在进贤县你还能做什么" in await _ask(chat, ZH, "/now")


async def test_the_question_in_plain_words_is_answered(app: App, chat: MemoryAdapter) -> None:
    await chat.press(f"area:{XIHU}")

    for language, message, heading in (
        (ZH, "我还能做什么？", "在西湖区你还能做什么"),
        (ZH, "现在我能做什么", "在西湖区你还能做什么"),
        (EN, "What can I still do?", "What you can still do in 西湖区"),
        (EN, "what can i do", "What you can still do in 西湖区"),
    ):
        assert heading in texts(await chat.say(message, language=language)), message


async def test_the_area_view_offers_now_and_compare(app: App, chat: MemoryAdapter) -> None:
    view = await chat.press(f"area:{XIHU}", language=EN)

    assert {f"now:{XIHU}", f"cmpa:{XIHU}"} <= set(payloads(view))
    assert "What you can still do in 西湖区" in texts(await chat.press(f"now:{XIHU}", language=EN))


async def test_help_lists_now_and_compare(chat: MemoryAdapter) -> None:
    for language in (EN, ZH):
        listed = texts(await chat.say("/help", language=language))

        assert "/now — " in listed and "/compare — " in listed


async def test_stale_buttons_expire(app: App, chat: MemoryAdapter) -> None:
    for payload in ("nowdd:330100:abc", "nowdd:999999:0", "nowdd:330100:99999999999999999999"):
        assert "expired" in texts(await chat.press(payload, language=EN)), payload
    gone = texts(await chat.press("now:999999", language=EN))
    assert "I do not know that place any more" in gone


def test_every_step_has_a_window_and_texts_for_its_states() -> None:
    from handlers.milestones import timeline
    from handlers.now import windows
    from storage.elections import ElectionView

    view = ElectionView(1, "k", XIHU, "西湖区", "county", date(2026, 12, 15), "announced",
                        "", datetime(2026, 1, 1), False, None, None, None)  # fmt: skip
    spans = timeline(view)
    assert spans is not None
    assert {s.id for s in steps()} == set(windows(spans))
    for step in steps():
        assert {"past", "unknown"} <= set(step.texts), step.id
        assert step.audience in ("voter", "stand")
        for days in range(-30, 3):  # every state the step's window passes through
            step.text(windows(spans)[step.id].state(date(2026, 12, 15) + timedelta(days)))
