"""Candidate lists entered in chat from the election committees' notices (/addcandidate,
/editcandidate): the volunteer role, the guided steps that forgive typed answers, the
notice photo stripped of metadata, a second moderator's approval (never the proposer's
own), the audit rows, the followers' alerts, the source and checked day on the profile,
and bad input refused or flagged with its article; in both languages, on SQLite and
PostgreSQL."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from PIL import Image
from sqlalchemy import select

from bot.adapters.memory import MemoryAdapter
from bot.app import App
from bot.core.events import PhotoMessage
from bot.core.replies import Reply
from handlers.list_entry import STAGE_WORDS, by_words
from storage.models import (
    AuditEntry,
    Candidacy,
    Election,
    ListChange,
    NoticePhoto,
    OutboxKind,
    OutboxMessage,
    Person,
    StaffRole,
)
from storage.roles import add_staff
from storage.subscriptions import subscribe
from storage.unit import unit_factory
from tests.helpers import payloads, texts
from tests.staffed import (
    ALICE,
    CAROL,
    EN,
    GROUP,
    ZH,
    attached,
    say_in,
    staff_policy,
    staffed_app,
)
from tests.test_reports import gps_jpeg

BOB, VERA, CITIZEN, FOLLOWER = "9002", "9005", "12345", "7300000009"
XIHU = "330106"
#: A street office (township level) of 西湖区 with no election of its own.
STREET = "330106004"
#: In the profile line of the candidate the tests add, and nowhere else.
PINYIN = "Hǎo Jiànpíng"


@pytest.fixture
async def app(db_url: str) -> AsyncIterator[App]:
    """ALICE and BOB moderate, VERA volunteers; publishing needs two approvals."""
    app = await staffed_app(db_url, staff_policy(publish_approvals=2))
    async with unit_factory(app.engine)() as unit:
        await add_staff(unit.session, "memory", BOB, StaffRole.moderator)
        await add_staff(unit.session, "memory", VERA, StaffRole.volunteer)
        await subscribe(unit.session, "memory", FOLLOWER, XIHU, "zh_CN")
    yield app
    await app.close()


@pytest.fixture
def chat(app: App) -> MemoryAdapter:
    return attached(app)


async def send_photo(chat: MemoryAdapter, user: str, data: bytes, language: str) -> list[Reply]:
    c, s = chat.refs(user)
    event = PhotoMessage(chat=c, sender=s, language=language, event_id=chat.next_id(), image=data)
    return await chat.inject(event)


def button(replies: list[Reply], prefix: str, index: int = 0) -> str:
    found = [p for p in payloads(replies) if p.startswith(prefix)]
    assert found, (prefix, payloads(replies))
    return found[index]


async def enter_up_to_the_source(chat: MemoryAdapter, user: str, language: str) -> str:
    """/addcandidate for 西湖区's district 3, mostly typed; the text asking for the source."""
    say = lambda text: chat.say(text, user=user, language=language)  # noqa: E731
    press = lambda payload: chat.press(payload, user=user, language=language)  # noqa: E731
    elections = await say(f"/addcandidate {XIHU}")
    await press(button(elections, "lse:"))
    assert "Ouyang" not in texts(await say("第3选区"))  # typed: the district by its number
    await say("郝建平")
    await say("联名")  # the words people use answer "how were they nominated?"
    await say("12人")
    return texts(await say("正式"))


async def _audit(app: App) -> list[AuditEntry]:
    async with unit_factory(app.engine)() as unit:
        return list(await unit.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


async def _alerts(app: App) -> list[str]:
    async with unit_factory(app.engine)() as unit:
        rows = await unit.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.alert)
        )
        return [Reply.from_json(row.body).text.plain for row in rows]


@pytest.mark.parametrize(
    ("language", "flagged", "source_line"),
    [
        (EN, "Flagged (Election Law Art. 31)",
         "Source: a photo of the election committee's notice · checked November 28, 2026"),
        (ZH, "已标记（《选举法》第三十一条）",
         "来源：选举委员会公告的照片 · 核对于 2026年11月28日"),
    ],
)  # fmt: skip
async def test_a_volunteer_adds_a_candidate_from_a_notice_photo_and_two_moderators_approve(
    app: App, chat: MemoryAdapter, language: str, flagged: str, source_line: str
) -> None:
    asked = await enter_up_to_the_source(chat, VERA, language)
    # District 3 has four official candidates for two seats: a fifth is over double.
    assert flagged in asked and "郝建平" in asked
    filed = texts(await send_photo(chat, VERA, gps_jpeg(), language))
    assert ("Filed as change 1" in filed) or ("已提交为修改 1" in filed)

    async with unit_factory(app.engine)() as unit:
        photo = await unit.session.scalar(select(NoticePhoto))
        assert photo is not None and not await unit.session.scalar(select(Person.id).where(
            Person.name == "郝建平"))  # fmt: skip
    kept = Image.open(io.BytesIO(photo.data))
    assert not kept.getexif() and "exif" not in kept.info, "no camera or GPS details kept"
    assert b"SpyCam" not in photo.data

    # Nothing shows before approval; a volunteer and a citizen cannot approve.
    assert PINYIN not in texts(await chat.say("/search 郝建平", user=CITIZEN, language=language))
    for outsider in (VERA, CITIZEN):
        await chat.press("lc:ok:1", user=outsider, language=language)
    shown = await chat.say("/queue", user=ALICE, language=language)
    assert shown[0].image is not None and "郝建平" in texts(shown) and flagged in texts(shown)
    first = texts(await chat.press("lc:ok:1", user=ALICE, language=language))
    assert ("Approved (1 of 2)" in first) or ("已批准（1/2）" in first)
    assert PINYIN not in texts(await chat.say("/search 郝建平", user=CITIZEN, language=language))
    await chat.say("/queue", user=BOB, language=language)
    applied = texts(await chat.press("lc:ok:1", user=BOB, language=language))
    assert ("Approved and applied" in applied) or ("已批准并执行" in applied)

    profile = await chat.say("/search 郝建平", user=CITIZEN, language=language)
    assert source_line in texts(profile)
    notice = await chat.press(button(profile, "ntc:"), user=CITIZEN, language=language)
    assert notice[0].image == photo.data

    actions = [(row.actor, row.action, row.target_type) for row in await _audit(app)]
    assert ("memory:9005", "propose_change", "list_change") in actions
    assert ("memory:9005", "refused", "command") in actions, "the volunteer's press, named"
    assert ("citizen", "refused", "command") in actions
    assert ("memory:9001", "approve", "list_change") in actions
    assert ("memory:9002", "apply_change", "candidacy") in actions
    assert any("郝建平" in alert and "第3选区" in alert for alert in await _alerts(app))


async def test_a_moderator_cannot_approve_their_own_change(app: App, chat: MemoryAdapter) -> None:
    await enter_up_to_the_source(chat, ALICE, EN)
    await chat.say("https://example.org/xihu/notice-3", user=ALICE, language=EN)

    assert "The queue is empty" in texts(await chat.say("/queue", user=ALICE, language=EN))
    refused = texts(await chat.press("lc:ok:1", user=ALICE, language=EN))
    assert "You proposed this change" in refused
    zh = texts(await chat.press("lc:ok:1", user=ALICE, language=ZH))
    assert "这项修改是你提出的" in zh
    async with unit_factory(app.engine)() as unit:
        change = await unit.session.get_one(ListChange, 1)
        assert change.status == "pending" and change.approvals == []
    audited = [row for row in await _audit(app) if row.action == "refused"]
    assert audited[0].actor == "memory:9001" and audited[0].detail == {"reason": "own change"}

    # A moderator proposes: one other moderator's approval applies it.
    await chat.say("/queue", user=BOB, language=EN)
    assert "Approved and applied" in texts(await chat.press("lc:ok:1", user=BOB, language=EN))
    profile = texts(await chat.say("/search 郝建平", user=CITIZEN, language=EN))
    assert "Source: https://example.org/xihu/notice-3 · checked November 28, 2026" in profile


@pytest.mark.parametrize(
    ("language", "latin", "few", "seats", "few_seats"),
    [
        (EN, "Refused (Election Law Art. 32)", "Refused (Election Law Art. 30)",
         "Refused (Election Law Art. 25)", "Flagged (Election Law Art. 31): 1 candidates"),
        (ZH, "不予接受（《选举法》第三十二条）", "不予接受（《选举法》第三十条）",
         "不予接受（《选举法》第二十五条）", "已标记（《选举法》第三十一条）：目前将有 1 名候选人"),
    ],
)  # fmt: skip
async def test_bad_input_is_refused_or_flagged_with_the_article(
    chat: MemoryAdapter, language: str, latin: str, few: str, seats: str, few_seats: str
) -> None:
    say = lambda text: chat.say(text, user=VERA, language=language)  # noqa: E731
    elections = await say(f"/addcandidate {XIHU}")
    await chat.press(button(elections, "lse:"), user=VERA, language=language)
    new_district = texts(await say("12"))  # no district 12 yet: it will be added
    assert "12" in new_district
    assert seats in texts(await say("4"))
    await chat.press("lsz:2", user=VERA, language=language)
    assert latin in texts(await say("Wang Fang"))
    assert latin in texts(await say("Wáng Fāng"))
    await say("郝建平")
    await chat.press("lsn:voters_joint", user=VERA, language=language)
    assert few in texts(await say("9"))
    await say("10")
    asked = texts(await chat.press("lss:nominated", user=VERA, language=language))
    # One nominee for two seats in the new district: recorded, with the article.
    assert few_seats in asked


async def test_a_correction_of_stage_is_approved_and_audited_with_before_and_after(
    app: App, chat: MemoryAdapter
) -> None:
    shown = await chat.say("/editcandidate 曾立新", user=VERA, language=EN)
    assert "What is to be corrected?" in texts(shown)
    await chat.say("stage", user=VERA, language=EN)  # typed, not pressed
    await chat.say("withdrew", user=VERA, language=EN)
    filed = texts(await chat.say("https://example.org/withdrawal", user=VERA, language=EN))
    assert "Filed as change 1" in filed
    for moderator in (ALICE, BOB):
        await chat.press("lc:ok:1", user=moderator, language=EN)

    async with unit_factory(app.engine)() as unit:
        zeng = await unit.session.scalar(
            select(Candidacy).join(Person).where(Person.name == "曾立新")
        )
    assert zeng is not None and zeng.stage == "withdrawn"
    assert zeng.source == "https://example.org/withdrawal"
    applied = next(row for row in await _audit(app) if row.action == "apply_change")
    assert applied.detail["field"] == "stage"
    assert (applied.detail["before"], applied.detail["after"]) == ("official", "withdrawn")
    assert any("曾立新" in alert for alert in await _alerts(app))


async def test_citizens_and_group_chats_cannot_enter_lists(chat: MemoryAdapter) -> None:
    assert "volunteer role" in texts(await chat.say("/addcandidate", user=CITIZEN, language=EN))
    assert "志愿者" in texts(await chat.say("/editcandidate 1", user=CITIZEN, language=ZH))
    in_group = texts(await say_in(chat, GROUP, "/addcandidate 西湖区", user=VERA))
    assert "private chat" in in_group
    # A forged step button does nothing either.
    assert "expired" in texts(await chat.press("lsn:party", user=CITIZEN, language=EN))


async def test_help_lists_the_new_commands_to_volunteers(chat: MemoryAdapter) -> None:
    volunteer = texts(await chat.say("/help", user=VERA, language=ZH))
    assert "/addcandidate" in volunteer and "/editcandidate" in volunteer
    assert "/addcandidate" not in texts(await chat.say("/help", user=CITIZEN, language=EN))


@pytest.mark.parametrize(("language", "kept"), [(EN, "What you entered so far is kept"),
                                                (ZH, "你已经输入的内容会保留")])  # fmt: skip
async def test_a_command_halfway_is_answered_and_the_draft_kept(
    chat: MemoryAdapter, language: str, kept: str
) -> None:
    elections = await chat.say(f"/addcandidate {XIHU}", user=VERA, language=language)
    await chat.press(button(elections, "lse:"), user=VERA, language=language)
    await chat.say("3", user=VERA, language=language)

    looked = await chat.say("/candidate 1", user=VERA, language=language)
    assert "曾立新" in texts(looked) and "lsr:go" in payloads(looked)
    assert ("kept" in texts(looked)) or ("保留" in texts(looked))
    resumed = texts(await chat.press("lsr:go", user=VERA, language=language))
    assert ("name" in resumed) or ("姓名" in resumed)
    asked = await chat.say("郝建平", user=VERA, language=language)
    assert "lsn:voters_joint" in payloads(asked), "the draft went on from the name"
    # A typed answer off the menu is asked again, the draft still kept.
    assert kept in texts(await chat.say("嗯", user=VERA, language=language))
    assert "lsn:party" in payloads(await chat.say("嗯", user=VERA, language=language))


async def test_a_change_that_no_longer_fits_is_closed_and_leaves_nothing(
    app: App, chat: MemoryAdapter
) -> None:
    await enter_up_to_the_source(chat, VERA, EN)
    await chat.say("https://example.org/xihu/notice-3", user=VERA, language=EN)
    await enter_up_to_the_source(chat, VERA, EN)  # the same candidate, from a photo
    await send_photo(chat, VERA, gps_jpeg(), EN)
    for moderator in (ALICE, BOB):
        await chat.press("lc:ok:1", user=moderator, language=EN)
    await chat.press("lc:ok:2", user=ALICE, language=EN)
    closed = texts(await chat.press("lc:ok:2", user=BOB, language=EN))

    assert "already listed in that electoral district" in closed and "closed" in closed
    async with unit_factory(app.engine)() as unit:
        session = unit.session
        assert (await session.get_one(ListChange, 2)).status == "rejected"
        named = await session.scalars(select(Person.id).where(Person.name == "郝建平"))
        assert len(list(named)) == 1
        assert await session.scalar(select(NoticePhoto.id)) is None, "its photo went with it"
    assert [row.detail.get("reason") for row in await _audit(app)
            if row.action == "reject"] == ["duplicate"]  # fmt: skip


async def test_a_rejected_change_shows_nowhere_and_its_photo_goes(
    app: App, chat: MemoryAdapter
) -> None:
    await enter_up_to_the_source(chat, VERA, ZH)
    await send_photo(chat, VERA, gps_jpeg(), ZH)
    rejected = texts(await chat.press("lc:no:1", user=ALICE, language=ZH))
    assert "已驳回" in rejected
    assert PINYIN not in texts(await chat.say("/search 郝建平", user=CITIZEN, language=ZH))
    async with unit_factory(app.engine)() as unit:
        assert await unit.session.scalar(select(NoticePhoto.id)) is None
    assert "不在待批准状态" in texts(await chat.press("lc:ok:1", user=BOB, language=ZH))


async def test_a_new_election_and_district_come_with_the_candidacy(
    app: App, chat: MemoryAdapter
) -> None:
    say = lambda text: chat.say(text, user=VERA, language=EN)  # noqa: E731
    offered = await say(f"/addcandidate {STREET}")
    assert "lse:new" in payloads(offered)  # beside the county's election it votes in
    await chat.press("lse:new", user=VERA, language=EN)
    await say("第1选区")
    await say("1 seat")  # a button's label, typed
    await say("郝建平")
    await say("nominated by a political party")
    asked = texts(await say("nominee"))
    assert "a new one for" in asked and "Flagged (Election Law Art. 31)" in asked
    await say("https://example.org/street/notice")
    for moderator in (ALICE, BOB):
        await chat.press("lc:ok:1", user=moderator, language=EN)

    async with unit_factory(app.engine)() as unit:
        elections = list(await unit.session.scalars(
            select(Election).where(Election.area_code == STREET)))  # fmt: skip
        assert [(e.level, e.status, e.source) for e in elections] == [
            ("township", "expected", "https://example.org/street/notice")
        ]
    shown = texts(await chat.say(f"/area {STREET}", user=CITIZEN, language=EN))
    assert "郝建平" in shown and "第1选区 (1 seats)" in shown
    applied = next(row for row in await _audit(app) if row.action == "apply_change")
    assert applied.detail["new_election"] and applied.detail["new_district"]


@pytest.mark.parametrize(
    ("typed", "stage"),
    [("未当选", "not_elected"), ("not elected", "not_elected"), ("当选了", "elected"),
     ("正式候选人", "official"), ("退出了", "withdrawn")],
)  # fmt: skip
def test_the_words_people_use_name_the_stage(typed: str, stage: str) -> None:
    assert by_words(typed, STAGE_WORDS, list(STAGE_WORDS)) == stage


async def test_an_admin_makes_a_volunteer_who_enters_lists_but_moderates_nothing(
    app: App, chat: MemoryAdapter
) -> None:
    newcomer = "9010"
    assert "volunteer role" in texts(await chat.say("/addcandidate", user=newcomer))
    done = texts(await chat.say(f"/mods volunteer memory:{newcomer}", user=CAROL, language=EN))
    assert f"Done: memory:{newcomer}" in done
    assert "county or township" in texts(await chat.say("/addcandidate", user=newcomer))
    assert "志愿者" in texts(await chat.say("/start", user=newcomer, language=ZH))
    assert "Not allowed" in texts(await chat.say("/queue", user=newcomer, language=EN))
    assert ("memory:9003", "staff_volunteer", "staff") in [
        (row.actor, row.action, row.target_type) for row in await _audit(app)
    ]
