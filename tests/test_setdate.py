"""Issue 13, items 8 and 9: /setdate names any place, even one whose name is shared
(by its code, its path, or a button per place), and checks every date against the
law's periods (Election Law Arts. 28, 29, 32) before and as it records it."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import App
from storage.areas import AreaView, add_areas, search_areas
from storage.models import AuditEntry, Election
from storage.unit import unit_factory
from tests.helpers import labels, payloads, texts
from tests.staffed import ALICE, EN, ZH, attached, staffed_app

#: Places of the full divisions that share a name with one of the demo's.
NAMESAKES = (
    AreaView("360103", "西湖区", "county", "360100"),
    AreaView("220000", "吉林省", "province", None),
    AreaView("220100", "长春市", "prefecture", "220000"),
    AreaView("220104", "朝阳区", "county", "220100"),
    AreaView("330106109", "三墩镇", "township", "330106"),
)


async def _with_namesakes(engine: AsyncEngine) -> None:
    async with unit_factory(engine)() as unit:
        await add_areas(unit.session, NAMESAKES)


async def _app(db_url: str) -> App:
    app = await staffed_app(db_url)
    await _with_namesakes(app.engine)
    return app


async def test_place_search_reads_codes_and_paths(demo_engine: AsyncEngine) -> None:
    await _with_namesakes(demo_engine)
    async with unit_factory(demo_engine)() as unit:

        async def codes(query: str) -> list[str]:
            return [area.code for area in await search_areas(unit.session, query)]

        assert sorted(await codes("西湖区")) == ["330106", "360103"]
        assert await codes("330106") == ["330106"]
        assert await codes("３６０１０３") == ["360103"]  # full-width digits
        assert await codes("999999") == []
        for query in ("杭州市西湖区", "杭州西湖区", "浙江省杭州市西湖区", "浙江西湖区",
                      "杭州市 西湖区", "杭州市西湖"):  # fmt: skip
            assert await codes(query) == ["330106"], query
        assert await codes("南昌市西湖区") == ["360103"]
        assert await codes("北京市朝阳区") == ["110105"]  # through the placeholder 市辖区
        assert await codes("长春朝阳区") == ["220104"]
        assert await codes("北京市海淀区") == ["110108"]
        assert await codes("杭州市西湖区三墩镇") == ["330106109"]
        assert await codes("上海市西湖区") == []
        assert await codes("西湖区杭州市") == []  # the order of the path counts


@pytest.mark.parametrize("language", [EN, ZH])
async def test_other_commands_take_a_path(db_url: str, language: str) -> None:
    app = await _app(db_url)
    chat = attached(app)
    shown = texts(await chat.say("/area 杭州市西湖区三墩镇", language=language))
    assert "三墩镇" in shown and "I found no place" not in shown and "没有找到名为" not in shown
    subscribed = await chat.say("/subscribe 北京市海淀区", language=language)
    assert "海淀区" in texts(subscribed)
    assert "海淀区" in texts(await chat.say("/alerts", language=language))
    await app.close()


RECORDED = {
    EN: "Recorded for 西湖区: election day December 16, 2026 (confirmed); source: 区选委会公告.",
    ZH: "已记录西湖区：选举日 2026年12月16日（已确认）；来源：区选委会公告。",
}
WHICH = {EN: "“西湖区” names more than one place. Which one?", ZH: "叫“西湖区”的地区不止一个。"}


async def _election(app: App, area: str) -> Election:
    async with unit_factory(app.engine)() as unit:
        election = await unit.session.scalar(select(Election).where(Election.area_code == area))
        assert election is not None
        return election


@pytest.mark.parametrize("language", [EN, ZH])
async def test_setdate_names_a_place_by_code_or_path(db_url: str, language: str) -> None:
    app = await _app(db_url)
    chat = attached(app)
    for place in ("330106", "杭州市西湖区", "杭州西湖区"):
        reply = texts(await chat.say(f"/setdate {place} 2026-12-16 confirmed 区选委会公告",
                                     user=ALICE, language=language))  # fmt: skip
        assert RECORDED[language] in reply, place
    assert "I found no place called “上海市西湖区”" in texts(
        await chat.say("/setdate 上海市西湖区 2026-12-16", user=ALICE)
    )
    chaoyang = texts(await chat.say("/setdate 北京市朝阳区 2026-12-19 announced", user=ALICE))
    assert "Recorded for 朝阳区: election day December 19, 2026 (announced)" in chaoyang
    assert (await _election(app, "110105")).election_day.isoformat() == "2026-12-19"  # type: ignore[union-attr]
    await app.close()


@pytest.mark.parametrize("language", [EN, ZH])
async def test_an_ambiguous_name_offers_a_button_per_place(db_url: str, language: str) -> None:
    app = await _app(db_url)
    chat = attached(app)
    offer = await chat.say("/setdate 西湖区 2026-12-16 confirmed 区选委会公告", user=ALICE,
                           language=language)  # fmt: skip
    assert WHICH[language] in texts(offer)
    pinyin = " Xīhú Qū" if language == EN else ""  # beside the characters for English readers
    assert sorted(labels(offer)) == [
        f"江西省 › 南昌市 › 西湖区{pinyin}",
        f"浙江省 › 杭州市 › 西湖区{pinyin}",
    ]
    assert sorted(payloads(offer)) == ["sd:330106", "sd:360103"]
    assert all(len(payload.encode()) <= 64 for payload in payloads(offer))
    assert (await _election(app, "330106")).status == "announced"  # nothing recorded yet
    reply = texts(await chat.press("sd:330106", user=ALICE, language=language))
    assert RECORDED[language] in reply
    election = await _election(app, "330106")
    assert (str(election.election_day), election.status) == ("2026-12-16", "confirmed")
    # The kept command is used once; a second press has nothing to continue.
    again = texts(await chat.press("sd:330106", user=ALICE, language=language))
    assert RECORDED[language] not in again
    assert "Not allowed" in texts(await chat.press("sd:330106", user="citizen"))
    await app.close()


LATE_ROLL = {
    EN: (
        "Warning, Election Law Art. 28: “Voter roll published” on December 12, 2026 is 8 days "
        "before election day; the law asks for at least 20.",
        "Warning, Election Law Art. 29: the last day to object to the voter roll, "
        "December 17, 2026, falls after the last day to take a roll complaint to court, "
        "December 15, 2026.",
    ),
    ZH: (
        "注意（《选举法》第二十八条）：“公布选民名单”定在 2026年12月12日，距选举日只有 8 日；"
        "法律要求至少提前 20 日。",
        "注意（《选举法》第二十九条）：对选民名单提出申诉的最后一天（2026年12月17日）晚于"
        "就选民名单向人民法院起诉的最后一天（2026年12月15日）。",
    ),
}
LATE_OFFICIAL = {
    EN: "Warning, Election Law Art. 32: “Official candidate list published” on December 15, "
    "2026 is 5 days before election day; the law asks for at least 7.",
    ZH: "注意（《选举法》第三十二条）：“公布正式代表候选人名单”定在 2026年12月15日，"
    "距选举日只有 5 日；法律要求至少提前 7 日。",
}
AFTER = {
    EN: "“Nominees' list published” on December 21, 2026 would come after election day, "
    "December 20, 2026: that cannot be. Nothing was recorded.",
    ZH: "“公布代表候选人名单”定在 2026年12月21日，晚于选举日 2026年12月20日，这是不可能的，"
    "未作任何记录。",
}
NOT_A_DATE = {
    EN: "“2026-02-30” is not a real date. Nothing was recorded.",
    ZH: "“2026-02-30”不是一个真实存在的日期，未作任何记录。",
}
BOGUS = {
    EN: "“bogus” is not a status. Nothing was recorded. Statuses: expected, announced, "
    "confirmed, postponed, held.",
    ZH: "“bogus”不是有效的状态，未作任何记录。可用的状态：expected（预计）、announced（已公布）、"
    "confirmed（已确认）、postponed（已推迟）、held（已举行）。",
}
REOPENED = {
    EN: "The status was “held”; the new day is still to come, so it is now “announced”.",
    ZH: "原状态为“已举行”；新的日期尚未到来，因此状态已改为“已公布”。",
}


@pytest.mark.parametrize("language", [EN, ZH])
async def test_setdate_checks_dates_against_the_law(db_url: str, language: str) -> None:
    app = await _app(db_url)
    chat = attached(app)

    async def setdate(args: str) -> str:
        return texts(await chat.say(f"/setdate {args}", user=ALICE, language=language))

    assert "Warning" not in await setdate("海淀区 2026-12-20 announced 公告")
    late = await setdate("海淀区 roll 2026-12-12")
    assert all(warning in late for warning in LATE_ROLL[language]), late
    assert (await _election(app, "110108")).roll_published_on is not None  # recorded
    assert LATE_OFFICIAL[language] in await setdate("海淀区 official 2026-12-15")
    assert AFTER[language] in await setdate("海淀区 nominees 2026-12-21")
    assert (await _election(app, "110108")).nominees_published_on is None
    # Moving election day before a recorded milestone is refused the same way.
    moved = await setdate("海淀区 2026-12-10")
    assert "Recorded" not in moved and "已记录" not in moved
    assert (await _election(app, "110108")).election_day.isoformat() == "2026-12-20"  # type: ignore[union-attr]
    assert NOT_A_DATE[language] in await setdate("海淀区 2026-02-30")
    assert NOT_A_DATE[language] in await setdate("海淀区 roll 2026-02-30")
    before = await _election(app, "110108")
    assert BOGUS[language] in await setdate("海淀区 2026-12-21 bogus")
    after = await _election(app, "110108")
    assert (after.source, after.election_day) == (before.source, before.election_day)
    # A status in the user's language is a status.
    if language == ZH:
        assert "（已确认）" in await setdate("海淀区 2026-12-20 已确认 公告")
    async with unit_factory(app.engine)() as unit:
        audited = list(await unit.session.scalars(
            select(AuditEntry.id).where(AuditEntry.action == "set_date")))  # fmt: skip
    assert len(audited) == (4 if language == ZH else 3)
    await app.close()


@pytest.mark.parametrize("language", [EN, ZH])
async def test_a_new_day_to_come_reopens_a_held_election(db_url: str, language: str) -> None:
    app = await _app(db_url)
    chat = attached(app)
    reply = texts(await chat.say("/setdate 天宁区 2027-03-01", user=ALICE, language=language))
    assert REOPENED[language] in reply
    assert (await _election(app, "320402")).status == "announced"
    # A status given is kept; a day already past stays as it is told.
    await chat.say("/setdate 天宁区 2027-03-02 postponed", user=ALICE, language=language)
    assert (await _election(app, "320402")).status == "postponed"
    await chat.say("/setdate 天宁区 2026-11-18 held", user=ALICE, language=language)
    reply = texts(await chat.say("/setdate 天宁区 2026-11-17", user=ALICE, language=language))
    assert REOPENED[language] not in reply
    assert (await _election(app, "320402")).status == "held"
    await app.close()
