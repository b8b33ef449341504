"""Alerts on every trigger, on SQLite and PostgreSQL: an election's dates set by /setdate
or changed by an import, candidacies added or moved to another stage by an import, a
candidate's update published (at once when trusted, or approved), an incident summary
published. One message per follower per change, however many places of theirs it
concerns, in their language, naming the source and, for a deadline, its article;
nothing that introduces a candidate goes out on election day (Art. 34)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.adapters.memory import MemoryAdapter
from bot.app import App
from bot.core.i18n import Catalogs
from bot.core.replies import Reply
from handlers.import_news import on_import
from handlers.triggers import Moment
from storage.exchange import export, import_file
from storage.exchange.csv_format import COLUMNS
from storage.models import OutboxKind, OutboxMessage
from storage.subscriptions import subscribe
from storage.unit import unit_factory
from tests.helpers import payloads, texts
from tests.staffed import ALICE, CAROL, EN, ZH, attached, staff_policy, staffed_app
from tests.test_reports import file_a_report

XIHU, XIXI, HAIDIAN, LIDU = "330106", "330106004", "110108", "360124101"
TODAY = date(2026, 11, 28)  # the fixtures' FIXED_NOW, in China


@dataclass(frozen=True)
class Alert:
    chat: str
    text: str
    not_before: datetime | None


@pytest.fixture
async def app(db_url: str) -> AsyncIterator[App]:
    app = await staffed_app(db_url, staff_policy(publish_approvals=1))
    yield app
    await app.close()


@pytest.fixture
def chat(app: App) -> MemoryAdapter:
    return attached(app)


async def _follow(app: App, chat: str, area: str, language: str = "en") -> None:
    async with unit_factory(app.engine)() as unit:
        await subscribe(unit.session, "memory", chat, area, language)


async def _alerts(app: App) -> list[Alert]:
    async with unit_factory(app.engine)() as unit:
        rows = await unit.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == OutboxKind.alert)
            .order_by(OutboxMessage.id)
        )
        return [Alert(m.chat_id, Reply.from_json(m.body).text.plain, m.not_before) for m in rows]


async def _exported(app: App) -> list[dict[str, str]]:
    out = io.StringIO()
    await export(app.engine, "csv", out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


async def _import(
    app: App, rows: list[dict[str, str]], tmp_path: Path, today: date = TODAY
) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([row.get(column, "") for column in COLUMNS] for row in rows)
    path = tmp_path / "import.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    await import_file(app.engine, path, "csv", on_changes=on_import(Catalogs(), Moment(today)))


def _xihu_moved(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """西湖区's election day moved to 2026-12-20, the voter roll announced for 12-01."""
    for row in rows:
        if row["election_key"] == "demo-hz-xihu":
            row.update(election_day="2026-12-20", roll_published_on="2026-12-01")
    return rows


async def test_an_imported_date_change_alerts_each_follower_in_their_language(
    app: App, tmp_path: Path
) -> None:
    await _follow(app, "en-reader", XIHU, "en")
    await _follow(app, "zh-reader", XIHU, "zh_CN")
    await _import(app, _xihu_moved(await _exported(app)), tmp_path)
    alerts = {alert.chat: alert.text for alert in await _alerts(app)}
    assert set(alerts) == {"en-reader", "zh-reader"}
    english, chinese = alerts["en-reader"], alerts["zh-reader"]
    assert "Election news for 西湖区:" in english
    assert "election day December 20, 2026 (announced)" in english
    assert "Voter roll published: December 1, 2026 (Election Law Art. 28)" in english
    assert "Source: imported election data from 演示数据 / demo data." in english
    assert "选举日 2026年12月20日（已公布）" in chinese
    assert "《选举法》第二十八条" in chinese and "来源：导入的选举资料" in chinese


async def test_an_import_of_many_changes_in_one_county_is_one_message_listing_them(
    app: App, tmp_path: Path
) -> None:
    await _follow(app, "reader", XIHU)
    rows = _xihu_moved(await _exported(app))
    xihu = [row for row in rows if row["election_key"] == "demo-hz-xihu"]
    xihu[0]["stage"] = "withdrawn"
    rows.append({**xihu[0], "candidacy_key": "new-1", "person_key": "new-p1",
                 "person_name": "柳新人", "stage": "nominated", "platform": ""})  # fmt: skip
    await _import(app, rows, tmp_path)
    alerts = await _alerts(app)
    assert len(alerts) == 1, [a.text for a in alerts]
    text = alerts[0].text
    assert "election day December 20, 2026" in text
    assert f"{xihu[0]['person_name']} (第3选区): now withdrawn, was official candidate" in text
    assert "new candidate in 第3选区: 柳新人, nominated" in text
    assert text.count("• ") >= 4


async def test_a_chat_following_a_township_and_its_county_gets_one_alert(
    app: App, tmp_path: Path
) -> None:
    await _follow(app, "both", XIHU)
    await _follow(app, "both", XIXI)
    await _import(app, _xihu_moved(await _exported(app)), tmp_path)
    assert [alert.chat for alert in await _alerts(app)] == ["both"]


async def test_followers_of_other_places_hear_nothing(app: App, tmp_path: Path) -> None:
    await _follow(app, "haidian", HAIDIAN)
    await _import(app, _xihu_moved(await _exported(app)), tmp_path)
    assert await _alerts(app) == []


async def test_an_import_run_twice_alerts_once(app: App, tmp_path: Path) -> None:
    await _follow(app, "reader", XIHU)
    rows = _xihu_moved(await _exported(app))
    await _import(app, rows, tmp_path)
    await _import(app, rows, tmp_path)
    assert len(await _alerts(app)) == 1


async def test_a_township_hears_of_the_county_election_whose_district_covers_it(
    app: App, tmp_path: Path
) -> None:
    await _follow(app, "lidu", LIDU)
    rows = await _exported(app)
    for row in rows:
        if row["election_key"] == "demo-jx-jinxian":  # 进贤县; a district covers 李渡镇
            row["official_list_published_on"] = "2026-12-11"
    await _import(app, rows, tmp_path)
    alerts = await _alerts(app)
    assert len(alerts) == 1
    assert "Election news for 进贤县: Official candidate list published: December 11, 2026 " \
           "(Election Law Art. 32)." in alerts[0].text  # fmt: skip


async def test_setdate_alerts_once_with_the_next_deadline_and_its_source(
    app: App, chat: MemoryAdapter
) -> None:
    await _follow(app, "reader", HAIDIAN)
    await _follow(app, "reader", "110108014")  # one of its street offices, too
    await chat.say("/setdate 海淀区 2026-12-20 announced 区选举委员会公告", user=ALICE)
    await chat.say("/setdate 海淀区 roll 2026-12-01", user=ALICE)
    first, second = await _alerts(app)
    assert "election day December 20, 2026 (announced)" in first.text
    assert "next deadline: Voter roll published, November 30, 2026 (Election Law Art. 28)" \
        in first.text  # fmt: skip
    assert "Source: recorded by moderators from 区选举委员会公告." in first.text
    assert "Voter roll published: December 1, 2026 (Election Law Art. 28)" in second.text


async def _candidate(chat: MemoryAdapter, *, trusted: bool) -> None:
    code = texts(await chat.say("/verify 1", user=ALICE)).splitlines()[1]
    await chat.say(f"/claim {code}", user="cand")
    if trusted:
        await chat.say("/trust 1", user=ALICE)


async def _statement(chat: MemoryAdapter) -> None:
    await chat.say("/update", user="cand")
    await chat.press("upd:statement", user="cand")
    await chat.say("Vote on December 15!", user="cand")


async def test_a_trusted_candidates_update_alerts_followers_at_once(
    app: App, chat: MemoryAdapter
) -> None:
    await _follow(app, "en-reader", XIHU, "en")
    await _follow(app, "zh-reader", XIXI, "zh_CN")  # district 3 covers 西溪街道
    await _follow(app, "elsewhere", "330106010")  # 转塘街道: district 7, not 曾立新's
    await _candidate(chat, trusted=True)
    await _statement(chat)
    alerts = {alert.chat: alert for alert in await _alerts(app)}
    assert set(alerts) == {"en-reader", "zh-reader"}
    english = alerts["en-reader"]
    assert "Election news for 西湖区: 曾立新 published a statement." in english.text
    assert "Source: the candidate's own verified account." in english.text
    assert "/candidate 1" in english.text and english.not_before is None
    assert "曾立新发表了一份声明" in alerts["zh-reader"].text


async def test_an_update_alerts_followers_once_when_a_moderator_approves_it(
    app: App, chat: MemoryAdapter
) -> None:
    await _follow(app, "reader", XIHU)
    await _candidate(chat, trusted=False)
    await _statement(chat)
    assert await _alerts(app) == [], "nothing before review"
    item = await chat.say("/queue", user=ALICE)
    await chat.press(next(p for p in payloads(item) if p.startswith("qc:ok:")), user=ALICE)
    alerts = await _alerts(app)
    assert len(alerts) == 1
    assert "checked by moderators" in alerts[0].text


async def test_a_confirmed_withdrawal_is_one_alert(app: App, chat: MemoryAdapter) -> None:
    await _follow(app, "reader", XIHU)
    await _candidate(chat, trusted=True)  # a withdrawal waits for review all the same
    await chat.say("/update", user="cand")
    await chat.press("upd:withdrawal", user="cand")
    await chat.press("updw:yes", user="cand")
    assert await _alerts(app) == []
    item = await chat.say("/queue", user=ALICE)
    await chat.press(next(p for p in payloads(item) if p.startswith("qc:ok:")), user=ALICE)
    alerts = await _alerts(app)
    assert len(alerts) == 1 and "曾立新 withdrew from the election" in alerts[0].text


async def test_a_published_incident_summary_alerts_followers_of_its_county(
    app: App, chat: MemoryAdapter
) -> None:
    await _follow(app, "reader", XIHU, "zh_CN")
    await _follow(app, "haidian", HAIDIAN)
    await file_a_report(chat, photo=False)
    await chat.say("/queue", user=ALICE)
    await chat.press("q:sum:1", user=ALICE)
    await chat.say("A candidate's family received threatening calls.", user=ALICE)
    assert await _alerts(app) == [], "a summary is not news until it is published"
    await chat.press("q:pub:1", user=ALICE)
    alerts = await _alerts(app)
    assert [alert.chat for alert in alerts] == ["reader"]
    assert "发布了一则事件摘要（威胁电话或匿名电话，2026年11月23日当周）" in alerts[0].text
    assert "来源：管理员撰写并审核的举报摘要" in alerts[0].text
    assert "/incidents 西湖区" in alerts[0].text


ELECTION_DAY = datetime(2026, 12, 15, 2, 0, tzinfo=UTC)  # 西湖区 votes; 10:00 in China
AFTER_IT = datetime(2026, 12, 15, 16, 0, tzinfo=UTC)  # 2026-12-16 00:00 in China


async def test_candidate_news_waits_until_election_day_is_over(db_url: str) -> None:
    """Art. 34: an update published on election day waits in the outbox for the next
    day; news of the dates does not."""
    app = await staffed_app(db_url, staff_policy(clock=lambda: ELECTION_DAY))
    chat = attached(app)
    try:
        await _follow(app, "reader", XIHU)
        await _candidate(chat, trusted=True)
        await _statement(chat)
        await chat.say("/setdate 西湖区 official 2026-12-08", user=CAROL)
        held, dates = await _alerts(app)
        assert "published a statement" in held.text
        assert held.not_before is not None and held.not_before == AFTER_IT
        assert "Official candidate list published" in dates.text and dates.not_before is None
    finally:
        await app.close()


async def test_an_import_on_election_day_holds_only_the_candidates(
    app: App, tmp_path: Path
) -> None:
    await _follow(app, "reader", XIHU)
    rows = await _exported(app)
    xihu = next(row for row in rows if row["election_key"] == "demo-hz-xihu")
    xihu["election_status"] = "confirmed"
    rows.append({**xihu, "candidacy_key": "new-1", "person_key": "new-p1",
                 "person_name": "柳新人", "stage": "nominated", "platform": ""})  # fmt: skip
    for row in rows:
        if row["election_key"] == "demo-hz-xihu":
            row["election_status"] = "confirmed"
    await _import(app, rows, tmp_path, today=date(2026, 12, 15))
    now, held = await _alerts(app)
    assert "(confirmed)" in now.text and "柳新人" not in now.text and now.not_before is None
    assert "柳新人" in held.text and held.not_before == AFTER_IT


async def test_the_subscribe_promise_names_every_kind_of_news(chat: MemoryAdapter) -> None:
    reply = texts(await chat.say("/subscribe 西湖区", user="7300000001", language=EN))
    assert "when its candidates are added or change stage" in reply
    zh = texts(await chat.say("/subscribe 海淀区", user="7300000002", language=ZH))
    assert "候选人动态或事件摘要发布时" in zh
