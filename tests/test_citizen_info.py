"""Areas, district views, election dates, topics, rights and quiet mode, in both languages,
on SQLite and PostgreSQL, through the whole bot."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.adapters.memory import MemoryAdapter
from bot.app import App, build_app
from storage.dataset import load_dataset
from storage.models import CandidateAccount, CandidateUpdate, Moderation
from storage.unit import unit_factory
from tests.conftest import TEST_KEY, fixed_policy
from tests.helpers import labels, payloads, texts

EN = "en"
ZH = "zh-hans"
XIHU = "330106"


async def test_area_drill_down_from_province_to_district(chat: MemoryAdapter) -> None:
    provinces = await chat.say("/area", language=EN)
    assert "Choose your province" in texts(provinces)
    assert "浙江省 Zhèjiāng Shěng" in labels(provinces)  # pinyin beside, for English readers
    prefectures = await chat.press("sub:330000:0", language=EN)
    assert "杭州市 Hángzhōu Shì" in labels(prefectures)
    counties = await chat.press("sub:330100:0", language=EN)
    assert "area:330106" in payloads(counties)
    view = texts(await chat.press("area:330106", language=EN))
    assert "浙江省 › 杭州市 › 西湖区" in view
    assert "第3选区 (2 seats):" in view
    assert "曾立新 (Zēng Lìxīn) · official candidate · voter-nominated (选民联名推荐)" in view


async def test_a_province_is_named_once(chat: MemoryAdapter) -> None:
    assert texts(await chat.press("area:330000", language=EN)).startswith("浙江省\nNo election")


async def test_area_view_in_chinese(chat: MemoryAdapter) -> None:
    view = texts(await chat.press("area:330106", language=ZH))
    assert "下一次：西湖区县级人民代表大会：选举日 2026年12月15日（已公布）" in view
    assert "第3选区（应选 2 名）：" in view
    assert "选民联名推荐" in view


@pytest.mark.parametrize("query", ["西湖区", "西湖", "xihu", "xihuqu", "xhq", "Xīhú"])
async def test_area_found_by_characters_pinyin_or_initials(chat: MemoryAdapter, query: str) -> None:
    assert "浙江省 › 杭州市 › 西湖区" in texts(await chat.say(f"/area {query}", language=EN))


async def test_unknown_area_suggests_near_spellings(chat: MemoryAdapter) -> None:
    # One typo away from the bare name "xihu": the only such place is shown at once.
    assert "浙江省 › 杭州市 › 西湖区" in texts(await chat.say("/area xihuu", language=EN))


async def test_unknown_area_says_so_in_both_languages(chat: MemoryAdapter) -> None:
    assert "I found no place called “qqqq”." in texts(await chat.say("/area qqqq", language=EN))
    assert "没有找到名为“qqqq”的地方。" in texts(await chat.say("/area qqqq", language=ZH))


@pytest.mark.parametrize(("language", "ahead"), [(EN, "Next:"), (ZH, "下一次：")])
async def test_a_place_name_typed_as_text_shows_the_place(
    chat: MemoryAdapter, language: str, ahead: str
) -> None:
    # A place is not a name: no "no candidate called 进贤县" before it.
    text = texts(await chat.say("进贤县", language=language))
    assert text.startswith("进贤县\n江西省 › 南昌市 › 进贤县\n" + ahead), text


async def test_held_and_postponed_elections_are_shown_as_such(chat: MemoryAdapter) -> None:
    held = texts(await chat.press("area:320402", language=EN))
    assert "Most recent:" in held and "(held)" in held
    assert "elected deputy" in held
    postponed = texts(await chat.say("/elections 朝阳区", language=EN))
    assert "Postponed: it was planned for November 26, 2026" in postponed


async def test_elections_list_the_statutory_milestones(chat: MemoryAdapter) -> None:
    text = texts(await chat.say("/elections xihu", language=EN))
    assert "Source: demo data · last updated November 20, 2026" in text
    for line in (
        "• November 25, 2026: Voter roll published (by law, Election Law Art. 28) [past]",
        "• November 30, 2026: Last day to object to the voter roll (by law, Election Law Art. 29)",
        "• November 30, 2026: Nominees' list published (by law, Election Law Art. 32)",
        "• December 8, 2026: Official candidate list published (by law, Election Law Art. 32)",
        "• December 10, 2026: Last day to take a roll complaint to court "
        "(by law, Election Law Art. 29)",
        "• December 15, 2026: Election day; all introduction of candidates stops "
        "(announced; Election Law Art. 34)",
    ):
        assert line in text


async def test_elections_in_chinese(chat: MemoryAdapter) -> None:
    text = texts(await chat.say("/elections 西湖区", language=ZH))
    assert "• 2026年11月25日：公布选民名单（依法推算，《选举法》第二十八条）［已过］" in text
    assert "选举日；停止一切代表候选人介绍" in text


async def test_unknown_election_day_is_said_plainly(chat: MemoryAdapter) -> None:
    en = texts(await chat.say("/elections 海淀区", language=EN))
    assert "election day not announced yet" in en and "(expected)" not in en
    assert "The election day has not been announced yet." in en
    assert "20 days before election day (Election Law Art. 28)" in en
    zh = texts(await chat.say("/elections 海淀区", language=ZH))
    assert "选举日尚未公布" in zh


async def test_elections_remember_the_area_last_looked_at(chat: MemoryAdapter) -> None:
    await chat.press("area:330106", language=EN)
    assert "Elections in 西湖区:" in texts(await chat.say("/elections", language=EN))


async def test_elections_ask_for_a_place_when_none_is_known(chat: MemoryAdapter) -> None:
    assert "For which place?" in texts(await chat.say("/elections", language=EN))
    assert "Elections in 西湖区:" in texts(await chat.say("西湖区", language=EN))


async def test_topics_list_candidates_covering_a_topic(chat: MemoryAdapter) -> None:
    menu = await chat.say("/topics 西湖区", language=EN)
    assert "Which topic matters to you in 西湖区?" in texts(menu)
    assert "Housing (2)" in labels(menu) and "Energy" not in " ".join(labels(menu))
    result = texts(await chat.press("tpc:housing", language=EN))
    assert "Candidates in 西湖区 whose platform covers Housing:" in result
    assert "曾立新" in result
    zh = texts(await chat.press("tpc:housing", language=ZH))
    assert "西湖区主张涉及“住房”的候选人：" in zh


async def test_topic_without_candidates_says_so(chat: MemoryAdapter) -> None:
    await chat.say("/topics 西湖区", language=EN)
    assert "No candidate in 西湖区 has a published platform on Energy yet." in texts(
        await chat.press("tpc:energy", language=EN)
    )


@pytest.mark.parametrize(
    ("language", "title", "source", "deadline"),
    [
        (EN, "How to object to the voter roll", "Source: Election Law Art. 29", "within 5 days"),
        (ZH, "对选民名单有异议怎么办", "出处：《选举法》第二十九条", "五日内"),
    ],
)
async def test_rights_cite_their_article(
    chat: MemoryAdapter, language: str, title: str, source: str, deadline: str
) -> None:
    overview = await chat.say("/rights", language=language)
    assert title in labels(overview)
    point = texts(await chat.press("rights:objections", language=language))
    assert source in point
    assert deadline in point


async def test_voter_nomination_rights_avoid_independent_candidate(chat: MemoryAdapter) -> None:
    text = texts(await chat.press("rights:nomination", language=EN))
    assert "ten or more voters" in text and "voter-nominated candidate" in text


def test_every_rights_point_has_both_languages_and_a_source() -> None:
    from handlers.rights import points

    assert len(points()) >= 10
    for point in points():
        for texts_ in (point.title, point.text, point.source):
            assert texts_["zh_CN"].strip() and texts_["en"].strip(), point.id


async def test_profile_shows_updates_links_and_verified_badge(
    app: App, chat: MemoryAdapter
) -> None:
    async with unit_factory(app.engine)() as unit:
        published = datetime(2026, 11, 21, tzinfo=UTC)
        unit.session.add_all(
            [
                CandidateUpdate(
                    candidacy_id=1,
                    kind="statement",
                    language="en",
                    text="Thank you <b>all</b>",
                    status=Moderation.approved,
                    published_at=published,
                ),
                CandidateUpdate(
                    candidacy_id=1,
                    kind="link",
                    language="en",
                    text="Video",
                    url="https://example.org/v",
                    status=Moderation.approved,
                    published_at=published,
                ),
                CandidateUpdate(
                    candidacy_id=1,
                    kind="statement",
                    language="en",
                    text="not yet reviewed",
                    status=Moderation.pending,
                ),
                CandidateAccount(candidacy_id=1, platform="telegram", user_id="77"),
            ]
        )
    text = texts(await chat.say("/candidate 1", language=EN))
    assert "✔ A verified account speaks for this candidate." in text
    assert "Latest updates:" in text and "• November 21, 2026: Thank you <b>all</b>" in text
    assert "Links:" in text and "Video" in text
    assert "not yet reviewed" not in text


async def test_election_day_withholds_platforms(db_url: str) -> None:
    election_day = datetime(2026, 12, 15, 2, 0, tzinfo=UTC)
    quiet = await build_app(db_url, TEST_KEY, migrate=False, policy=fixed_policy(election_day))
    async with unit_factory(quiet.engine)() as unit:
        from storage.dataset import read_packaged

        await load_dataset(unit.session, read_packaged())
    chat = MemoryAdapter()
    chat.attach(quiet.sink_for(chat))
    text = texts(await chat.say("/candidate 1", language=EN))
    assert "Today is election day here." in text and "Art. 34" in text
    assert "Platform:" not in text
    zh = texts(await chat.say("/candidate 1", language=ZH))
    assert "今天是本选区的选举日" in zh
    await chat.say("/topics 西湖区", language=EN)
    assert "曾立新" not in texts(await chat.press("tpc:housing", language=EN))
    await quiet.close()

    loud = await build_app(
        db_url,
        TEST_KEY,
        migrate=False,
        policy=fixed_policy(election_day, quiet_on_election_day=False),
    )
    chat = MemoryAdapter()
    chat.attach(loud.sink_for(chat))
    assert "Platform:" in texts(await chat.say("/candidate 1", language=EN))
    await loud.close()


async def test_district_lists_page(app: App, chat: MemoryAdapter) -> None:
    districts = [
        {
            "key": f"t-d{i}",
            "number": i,
            "name": f"第{i}选区",
            "seats": 1,
            "areas": [],
            "candidates": [
                {
                    "key": f"t-c{i}-{j}",
                    "name": f"测试{i}{j}",
                    "stage": "official",
                    "nomination": "party",
                    "nominators": None,
                }
                for j in range(2)
            ],
        }
        for i in range(1, 8)
    ]
    async with unit_factory(app.engine)() as unit:
        dataset = {
            "areas": [{"code": "330108", "name": "滨江区", "level": "county", "parent": "330100"}],
            "elections": [
                {
                    "key": "t-e",
                    "area": "330108",
                    "level": "county",
                    "election_day": "2027-01-10",
                    "status": "announced",
                    "source": "test",
                    "updated": "2026-11-01",
                    "districts": districts,
                }
            ],
        }
        assert await load_dataset(unit.session, dataset) == 14
    first = await chat.press("area:330108", language=EN)
    assert "Electoral districts 1–5 of 7:" in texts(first)
    assert "dist:330108:5" in payloads(first)
    second = await chat.press("dist:330108:5", language=EN)
    assert "Electoral districts 6–7 of 7:" in texts(second)
    assert "dist:330108:0" in payloads(second)


async def test_misspelt_pinyin_gets_did_you_mean(chat: MemoryAdapter) -> None:
    text = texts(await chat.say("zenglixn", language=EN))
    assert "No candidate is called “zenglixn”. Did you mean:" in text
    assert "曾立新" in text


async def test_homophone_characters_find_the_candidate(chat: MemoryAdapter) -> None:
    text = texts(await chat.say("王菁", language=EN))
    assert "Did you mean" in text and "王静" in text and "王婧" in text


async def test_traditional_characters_find_simplified_names(chat: MemoryAdapter) -> None:
    assert "单志强" in texts(await chat.say("單志強", language=EN))
