"""/subscribe, /subscriptions and /unsubscribe, in both languages: a place by name,
pinyin or code, a choice when a name is ambiguous, the drill-down from the provinces, a
clear answer for an unknown place, the cap, and what is kept to reach the user."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.adapters.memory import MemoryAdapter
from bot.app import App, build_app
from storage.areas import load_divisions
from storage.dataset import load_dataset, read_packaged
from storage.models import Subscription
from storage.unit import unit_factory
from tests.conftest import TEST_KEY, fixed_policy
from tests.helpers import payloads, texts

EN, ZH = "en", "zh-hans"
USER = "7300000001"


async def _rows(app: App) -> list[tuple[str, str, str]]:
    async with app.engine.connect() as connection:
        result = await connection.execute(
            select(Subscription.chat_id, Subscription.area_code, Subscription.language)
        )
        return [tuple(row) for row in result]  # type: ignore[misc]


@pytest.mark.parametrize(
    ("language", "promise", "kept"),
    [
        (EN, "I will tell you here when 海淀区's election dates", "this chat's id on memory"),
        (ZH, "海淀区的选举日期公布或变更时", "本聊天在 memory 上的编号"),
    ],
)
async def test_subscribing_by_name_says_what_is_kept(
    app: App, chat: MemoryAdapter, language: str, promise: str, kept: str
) -> None:
    reply = texts(await chat.say("/subscribe 海淀区", user=USER, language=language))
    assert promise in reply and kept in reply and "/unsubscribe" in reply
    assert await _rows(app) == [(USER, "110108", "en" if language == EN else "zh_CN")]


@pytest.mark.parametrize("query", ["haidian", "110108", "hdq"])
async def test_a_place_by_pinyin_initials_or_code(
    app: App, chat: MemoryAdapter, query: str
) -> None:
    await chat.say(f"/subscribe {query}", user=USER, language=EN)
    assert [row[1] for row in await _rows(app)] == ["110108"]


async def test_an_ambiguous_name_offers_each_place_with_its_parents(
    app: App, chat: MemoryAdapter
) -> None:
    async with unit_factory(app.engine)() as unit:
        await load_divisions(unit.session)  # all of China: two 西湖区
    choice = await chat.say("/subscribe 西湖区", user=USER, language=EN)
    assert {"alert:330106", "alert:360103"} <= set(payloads(choice))
    assert "杭州市 › 西湖区" in " ".join(b.label for r in choice for row in r.buttons for b in row)
    assert await _rows(app) == []
    await chat.press("alert:330106", user=USER, language=EN)
    assert [row[1] for row in await _rows(app)] == ["330106"]


@pytest.mark.parametrize(
    ("language", "answer"),
    [(EN, "I found no place called “xyzzyq”"), (ZH, "没有找到名为“xyzzyq”的地方")],
)
async def test_an_unknown_place_gets_a_clear_answer(
    app: App, chat: MemoryAdapter, language: str, answer: str
) -> None:
    assert answer in texts(await chat.say("/subscribe xyzzyq", user=USER, language=language))
    assert await _rows(app) == []


async def test_a_province_is_opened_not_followed(app: App, chat: MemoryAdapter) -> None:
    reply = await chat.say("/subscribe 110000", user=USER, language=EN)
    assert "counties and townships" in texts(reply)
    assert "subdd:110108:0" in payloads(reply) or any(
        p.startswith("subdd:1101") for p in payloads(reply)
    )
    assert await _rows(app) == []


async def test_the_drill_down_reaches_a_county(app: App, chat: MemoryAdapter) -> None:
    top = await chat.say("/subscribe", user=USER, language=EN)
    assert "subdd:110000:0" in payloads(top)
    beijing = await chat.press("subdd:110000:0", user=USER, language=EN)
    # 北京市's only child is the placeholder 市辖区, stepped through to the districts.
    assert "Places in 北京市" in texts(beijing) and "subdd:110108:0" in payloads(beijing)
    county = await chat.press("subdd:110108:0", user=USER, language=EN)
    assert "alert:110108" in payloads(county)  # "Follow 海淀区", above its townships
    await chat.press("alert:110108", user=USER, language=EN)
    assert [row[1] for row in await _rows(app)] == ["110108"]


async def test_typing_the_place_after_a_bare_subscribe(app: App, chat: MemoryAdapter) -> None:
    await chat.say("/subscribe", user=USER, language=EN)
    assert "海淀区" in texts(await chat.say("海淀区", user=USER, language=EN))
    assert [row[1] for row in await _rows(app)] == ["110108"]


async def test_subscriptions_list_and_unsubscribe_by_name_and_button(
    app: App, chat: MemoryAdapter
) -> None:
    await chat.say("/subscribe 海淀区", user=USER, language=EN)
    await chat.say("/subscribe 320402", user=USER, language=EN)
    listed = await chat.say("/subscriptions", user=USER, language=EN)
    assert "海淀区" in texts(listed) and "天宁区" in texts(listed)
    assert texts(await chat.say("/alerts", user=USER, language=EN)) == texts(listed)
    stopped = texts(await chat.say("/unsubscribe 海淀区", user=USER, language=EN))
    assert "Stopped: 市辖区 › 海淀区" in stopped or "Stopped: 北京市 › 海淀区" in stopped
    assert [row[1] for row in await _rows(app)] == ["320402"]
    not_followed = await chat.say("/unsubscribe 朝阳区", user=USER, language=EN)
    assert "You do not follow “朝阳区”" in texts(not_followed)
    await chat.press("unalert:320402", user=USER, language=EN)
    assert await _rows(app) == []
    assert "You follow no place" in texts(await chat.say("/unsubscribe", user=USER, language=EN))


async def test_the_cap_on_places_per_chat(db_url: str) -> None:
    from dataclasses import replace

    app = await build_app(
        db_url, TEST_KEY, migrate=False, policy=replace(fixed_policy(), subscriptions_per_chat=1)
    )
    async with unit_factory(app.engine)() as unit:
        await load_dataset(unit.session, read_packaged())
    chat = MemoryAdapter(language=EN)
    chat.attach(app.sink_for(chat))
    await chat.say("/subscribe 海淀区", user=USER)
    over = texts(await chat.say("/subscribe 320402", user=USER))
    assert "You already follow 1 places" in over
    assert [row[1] for row in await _rows(app)] == ["110108"]
    # Following the same place again is not over the cap.
    assert "You already follow 海淀区" in texts(await chat.say("/subscribe 海淀区", user=USER))
    await app.close()


async def test_a_street_office_points_to_its_district(app: App, chat: MemoryAdapter) -> None:
    async with unit_factory(app.engine)() as unit:
        await load_divisions(unit.session)
    reply = await chat.say("/subscribe 中关村街道", user=USER, language=EN)
    assert "elects no people's congress of its own" in texts(reply)
    assert "Election Law Art. 3" in texts(reply) and "alert:110108" in payloads(reply)
    assert await _rows(app) == []


async def test_alerts_follow_a_change_of_language(app: App, chat: MemoryAdapter) -> None:
    await chat.say("/subscribe 海淀区", user=USER, language=EN)
    await chat.say("/language zh", user=USER, language=EN)
    assert [row[2] for row in await _rows(app)] == ["zh_CN"]


async def test_after_choosing_from_the_list_plain_text_is_a_search_again(
    app: App, chat: MemoryAdapter
) -> None:
    await chat.say("/subscribe", user=USER, language=EN)
    await chat.press("alert:110108", user=USER, language=EN)
    assert "no place called" not in texts(await chat.say("曾立新", user=USER, language=EN))
