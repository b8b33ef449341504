"""/compare: one district's candidates side by side, topic by topic, with "no statement"
where a candidate said nothing; paged for a phone screen; withheld on election day
(Art. 34); in both languages, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from bot.adapters.memory import MemoryAdapter
from bot.adapters.telegram.render import render as telegram_render
from bot.app import App, build_app
from bot.core.markup import to_html
from bot.core.replies import Reply
from handlers.compare import PAGE_ROWS, rows, split_district
from storage.areas import AreaView, add_areas
from storage.dataset import load_dataset, read_packaged
from storage.models import (
    Candidacy,
    ElectoralDistrict,
    Person,
    PlatformPoint,
    PlatformPointRevision,
)
from storage.unit import unit_factory
from tests.conftest import TEST_KEY, fixed_policy
from tests.helpers import labels, payloads, texts

EN, ZH = "en", "zh-hans"
XIHU = "330106"
ELECTION_DAY = datetime(2026, 12, 15, 4, 0, tzinfo=UTC)  # 西湖区's, at noon in Beijing


async def _district(app: App, key: str) -> int:
    async with unit_factory(app.engine)() as unit:
        found = await unit.session.scalar(
            select(ElectoralDistrict.id).where(ElectoralDistrict.key == key)
        )
    assert found is not None
    return found


async def _all_pages(chat: MemoryAdapter, first: list[Reply], language: str) -> list[str]:
    """Every page's text, following the Next buttons."""
    pages = [texts(first)]
    replies = first
    while True:
        following = [p for p in payloads(replies) if p.startswith("cmp:")]
        forward = [p for p in following if int(p.rsplit(":", 1)[1]) == len(pages)]
        if not forward:
            return pages
        replies = await chat.press(forward[0], language=language)
        pages.append(texts(replies))


@pytest.mark.parametrize(
    ("language", "said", "silent"),
    [
        (EN, "• 曾立新 Zēng Lìxīn: Push the government to build more affordable rental",
         "• 王建国 Wáng Jiànguó: no statement"),
        (ZH, "• 曾立新：推动政府多建保障性租赁住房", "• 王建国：未表态"),
    ],
)  # fmt: skip
async def test_candidates_side_by_side_with_no_statement_where_they_said_nothing(
    chat: MemoryAdapter, language: str, said: str, silent: str
) -> None:
    first = await chat.say(f"/compare {XIHU} 3", language=language)
    pages = await _all_pages(chat, first, language)
    housing = next(p for p in pages if said in p)

    section = housing.split("\n\n")
    topic = next(block for block in section if said in block)
    # Every candidate of the district in the topic, the silent ones as such.
    assert silent in topic
    assert all(name in topic for name in ("曾立新", "王建国", "欧阳晴", "单志强"))
    # Topics nobody here speaks to are named once, at the end.
    assert ("Energy" in pages[-1]) or ("能源" in pages[-1])


async def test_pages_fit_a_phone_screen_and_show_every_topic_once(chat: MemoryAdapter) -> None:
    first = await chat.say(f"/compare {XIHU} 7", language=EN)
    pages = await _all_pages(chat, first, EN)

    assert len(pages) > 1
    assert "Page 1 of" in pages[0] and f"Page {len(pages)} of {len(pages)}" in pages[-1]
    for topic in ("Housing", "Elderly care", "Sanitation", "Parking and parks"):
        assert sum(f"\n{topic}\n" in page for page in pages) == 1, topic
    for page in pages:
        topics = [block for block in page.split("\n\n")[1:] if "\n• " in block]
        assert sum(rows(block) for block in topics) <= PAGE_ROWS or len(topics) == 1, page
    # The candidates are numbered as their buttons on the first page, once.
    assert "1. 查文博 (Zhā Wénbó)" in pages[0] and "1. 查文博" not in pages[1]
    assert labels(first)[:2] == ["查文博 Zhā Wénbó", "王丽华 Wáng Lìhuá"]


async def test_paging_goes_back_and_clamps(app: App, chat: MemoryAdapter) -> None:
    district = await _district(app, "demo-hz-xihu-07")
    second = await chat.press(f"cmp:{district}:1", language=EN)

    assert "Page 2 of" in texts(second)
    assert f"cmp:{district}:0" in payloads(second)
    beyond = texts(await chat.press(f"cmp:{district}:99", language=EN))
    assert "Page" in beyond and "of" in beyond and "expired" not in beyond


async def test_withheld_on_election_day(db_url: str) -> None:
    app = await build_app(db_url, TEST_KEY, migrate=False, policy=fixed_policy(ELECTION_DAY))
    async with unit_factory(app.engine)() as unit:
        await load_dataset(unit.session, read_packaged())
    chat = MemoryAdapter()
    chat.attach(app.sink_for(chat))
    district = await _district(app, "demo-hz-xihu-03")

    for language, quiet in ((EN, "Art. 34"), (ZH, "第三十四条")):
        await _check_withheld(chat, district, language, quiet)
    # Another district's election is not today: shown.
    assert "no statement" in texts(await chat.say("/compare 320404 6", language=EN))
    await app.close()


async def _check_withheld(chat: MemoryAdapter, district: int, language: str, quiet: str) -> None:
    for replies in (
        await chat.say(f"/compare {XIHU} 3", language=language),
        await chat.press(f"cmp:{district}:1", language=language),
    ):
        text = texts(replies)
        assert quiet in text
        assert "曾立新" not in text and "推动" not in text and "Push" not in text
        assert not [p for p in payloads(replies) if p.startswith("cand:")]


async def test_shown_on_election_day_when_quiet_mode_is_off(db_url: str) -> None:
    policy = fixed_policy(ELECTION_DAY, quiet_on_election_day=False)
    app = await build_app(db_url, TEST_KEY, migrate=False, policy=policy)
    async with unit_factory(app.engine)() as unit:
        await load_dataset(unit.session, read_packaged())
    chat = MemoryAdapter()
    chat.attach(app.sink_for(chat))

    assert "曾立新" in texts(await chat.say(f"/compare {XIHU} 3", language=EN))
    await app.close()


async def test_a_place_with_several_districts_offers_them(app: App, chat: MemoryAdapter) -> None:
    replies = await chat.say(f"/compare {XIHU}", language=EN)
    three = await _district(app, "demo-hz-xihu-03")
    seven = await _district(app, "demo-hz-xihu-07")

    assert payloads(replies) == [f"cmp:{three}:0", f"cmp:{seven}:0"]
    assert labels(replies) == ["第3选区 (4 candidates)", "第7选区 (5 candidates)"]
    assert "Candidates side by side" in texts(await chat.press(f"cmp:{three}:0", language=EN))


async def test_a_township_in_one_district_goes_straight_to_it(chat: MemoryAdapter) -> None:
    reply = texts(await chat.say("/compare 330106004", language=ZH))  # 西溪街道

    assert "候选人对照：西湖区第3选区" in reply


async def test_a_place_with_no_election_points_to_the_countys(
    app: App, chat: MemoryAdapter
) -> None:
    async with unit_factory(app.engine)() as unit:
        await add_areas(unit.session, [AreaView("360124199", "测试镇", "township", "360124")])

    for language, pointer in ((EN, "also elect"), (ZH, "同时参加")):
        replies = await chat.say("/compare 360124199", language=language)

        assert pointer in texts(replies) and "进贤县" in texts(replies)
        assert "cmpa:360124" in payloads(replies)
    county = await chat.press("cmpa:360124", language=EN)
    assert [p for p in payloads(county) if p.startswith("cmp:")]


async def test_an_unknown_district_number_offers_the_real_ones(chat: MemoryAdapter) -> None:
    for language, missing in (
        (EN, "西湖区 has no electoral district 99."),
        (ZH, "西湖区没有第99选区。"),
    ):
        replies = await chat.say(f"/compare {XIHU} 99", language=language)

        assert missing in texts(replies)
        assert len([p for p in payloads(replies) if p.startswith("cmp:")]) == 2


async def test_bad_places_and_stale_buttons(chat: MemoryAdapter) -> None:
    assert "I found no place called “qqqq”." in texts(await chat.say("/compare qqqq", language=EN))
    province = await chat.say("/compare 浙江省", language=EN)
    assert "Elections are held for counties and townships" in texts(province)
    assert "cmpdd:330100:0" in payloads(province)
    for payload in ("cmp:abc:0", "cmp:999999:0", "cmp:1:99999999999999", "cmpa:999999",
                    "cmpa:330106:x", "cmpdd:330100:y"):  # fmt: skip
        assert "expired" in texts(await chat.press(payload, language=EN)), payload


async def test_without_a_place_it_asks_then_uses_the_remembered_one(chat: MemoryAdapter) -> None:
    asked = await chat.say("/compare", language=EN)
    assert "cmpdd:330000:0" in payloads(asked)
    answer = texts(await chat.say("330106 3", language=EN))
    assert "Candidates side by side: 西湖区, 第3选区" in answer
    # The place answers the next /compare, and a number alone picks its district.
    assert "第7选区" in texts(await chat.say("/compare 7", language=EN))


async def test_withdrawn_candidates_are_not_compared(app: App, chat: MemoryAdapter) -> None:
    async with unit_factory(app.engine)() as unit:
        person = await unit.session.scalar(select(Person.id).where(Person.name == "王建国"))
        await unit.session.execute(
            update(Candidacy).where(Candidacy.person_id == person).values(stage="withdrawn")
        )

    reply = texts(await chat.say(f"/compare {XIHU} 3", language=EN))

    assert "Withdrawn, not compared: 王建国" in reply
    assert "王建国 Wáng Jiànguó:" not in reply


def test_a_district_number_is_read_however_it_is_typed() -> None:
    assert split_district("西湖区第3选区") == ("西湖区", 3)
    assert split_district("西湖区 第 3 选区") == ("西湖区", 3)
    assert split_district("xihu district 7") == ("xihu", 7)
    assert split_district("330106 3") == ("330106", 3)
    assert split_district("３") == ("", 3)
    assert split_district("330106") == ("330106", None)
    assert split_district("西湖区") == ("西湖区", None)


async def test_rendered_through_the_markup_with_statements_escaped(
    app: App, chat: MemoryAdapter
) -> None:
    async with unit_factory(app.engine)() as unit:  # a new approved wording (append-only)
        person = await unit.session.scalar(select(Person.id).where(Person.name == "曾立新"))
        housing = await unit.session.scalar(
            select(PlatformPoint.id)
            .join(Candidacy)
            .where(Candidacy.person_id == person, PlatformPoint.topic == "housing")
        )
        assert housing is not None
        unit.session.add(
            PlatformPointRevision(
                point_id=housing, language="en", text='<b>rent</b> & "homes"', status="approved"
            )
        )

    [reply] = await chat.say(f"/compare {XIHU} 3", language=EN)
    html = to_html(reply.text)
    (telegram,) = telegram_render(reply)

    assert telegram.html == html and "<b>Housing</b>" in html
    assert '曾立新 Zēng Lìxīn: &lt;b&gt;rent&lt;/b&gt; &amp; "homes"' in html
    assert "<i>no statement</i>" in html
    assert '曾立新 Zēng Lìxīn: <b>rent</b> & "homes"' in telegram.plain  # as the console shows
