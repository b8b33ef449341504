"""Issue 13, items 10 and 11: moderators' flows that hold. Claims never hide work (one
item at a time, skip moves on and lets go, escalations go to the administrators and
tell them, an empty queue says what others hold); /help lists what the caller's roles
allow; /trust and /trust off are audited apart; a report without consent to publish
offers no summary, and the payload is refused too. On SQLite and PostgreSQL, in
Chinese and English."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.adapters.memory import MemoryAdapter
from bot.app import App
from bot.core.events import ChatRef
from bot.delivery import OutboxPump
from storage.models import AuditEntry, OutboxMessage, Report, StaffRole
from storage.roles import add_staff
from storage.unit import unit_factory
from tests.helpers import payloads, texts
from tests.staffed import ALICE, CAROL, EN, ROOM, ZH, attached, say_in, staff_policy, staffed_app
from tests.test_reports import DESCRIPTION, SENDER, file_a_report

BOB = "9002"  # a second moderator
CANDIDATE = "cand"
LANGUAGES = [EN, ZH]
IN_ROOM = ChatRef(ROOM[0], ROOM[1], private=False)
REPORT_1 = {EN: "Report 1", ZH: "报告 1"}


@pytest.fixture
async def bot(db_url: str) -> AsyncIterator[App]:
    app = await staffed_app(db_url)
    async with unit_factory(app.engine)() as unit:
        await add_staff(unit.session, "memory", BOB, StaffRole.moderator)
    yield app
    await app.close()


@pytest.fixture
def chat(bot: App) -> MemoryAdapter:
    return attached(bot)


async def _statement(chat: MemoryAdapter, text: str, candidate: int = 1) -> None:
    """Candidate ``candidate`` claims their profile and sends ``text`` for review."""
    user = f"{CANDIDATE}{candidate}"
    code = texts(await chat.say(f"/verify {candidate}", user=ALICE)).splitlines()[1]
    await chat.say(f"/claim {code}", user=user)
    await chat.say("/update", user=user)
    await chat.press("upd:statement", user=user)
    await chat.say(text, user=user)


async def _outbox(app: App) -> list[tuple[str, str]]:
    async with app.engine.connect() as connection:
        rows = await connection.execute(
            select(OutboxMessage.chat_id, OutboxMessage.body).order_by(OutboxMessage.id)
        )
        return [(chat_id, "".join(span[0] for span in body["spans"])) for chat_id, body in rows]


# Item 10: claims hide no work --------------------------------------------------------


ESCALATED = {
    EN: ("the administrators were told in the moderators' room", "The queue is empty",
         "Escalated reports waiting for the administrators: 1."),
    ZH: ("已在审核员群组中通知管理员", "待审队列已空", "等待管理员处理的上报报告：1 份。"),
}  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
async def test_an_escalated_report_goes_to_the_administrators_at_once(
    bot: App, chat: MemoryAdapter, language: str
) -> None:
    told, empty, waiting = ESCALATED[language]
    await file_a_report(chat, photo=False)
    await chat.say("/queue", user=ALICE, language=language)
    assert told in texts(await chat.press("q:esc:1", user=ALICE, language=language))
    # The moderator who escalated does not take it back, and is told it waits...
    again = texts(await chat.say("/queue", user=ALICE, language=language))
    assert empty in again and waiting in again
    # ...so the administrator finds it first, at once, not 15 minutes later.
    shown = texts(await chat.say("/queue", user=CAROL, language=language))
    assert REPORT_1[language] in shown and "⚑" in shown
    # The room heard of it, in both languages, without a word of the report.
    room = [text for chat_id, text in await _outbox(bot) if chat_id == ROOM[1]]
    escalation = next(text for text in room if "/queue" in text and "escalated" in text)
    assert "上报" in escalation and DESCRIPTION not in escalation
    assert not any(c.isdigit() for c in escalation), "not even the report's number"


async def test_without_a_room_an_escalation_reaches_the_administrators_privately(
    db_url: str,
) -> None:
    app = await staffed_app(db_url, staff_policy(moderation_room=None))
    chat = attached(app)
    await file_a_report(chat, photo=False)
    await chat.say("/queue", user=ALICE)
    nobody = texts(await chat.press("q:esc:1", user=ALICE))
    assert "None of them could be told now" in nobody  # Carol never wrote to the bot
    await file_a_report(chat, photo=False)
    await chat.say("/queue", user=CAROL, language=ZH)  # now the bot knows her private chat
    await chat.say("/queue", user=ALICE)
    assert "private chats" in texts(await chat.press("q:esc:2", user=ALICE))
    before = len(chat.sent)
    await OutboxPump(app.engine, chat).once()
    to_carol = [sent.reply.text.plain for sent in chat.sent[before:] if sent.chat.id == CAROL]
    assert len(to_carol) == 1 and "一位审核员把一份报告上报给了管理员" in to_carol[0]
    assert "A moderator escalated a report to the administrators" in to_carol[0]
    await app.close()


async def test_without_an_administrator_an_escalated_report_stays_with_the_moderators(
    db_url: str,
) -> None:
    app = await staffed_app(db_url)
    async with unit_factory(app.engine)() as unit:
        await add_staff(unit.session, "memory", CAROL, StaffRole.moderator)
    chat = attached(app)
    await file_a_report(chat, photo=False)
    await chat.say("/queue", user=ALICE)
    assert "no administrator yet" in texts(await chat.press("q:esc:1", user=ALICE))
    assert "Report 1" in texts(await chat.say("/queue", user=CAROL))
    await app.close()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_moderator_holds_one_item_at_a_time(
    bot: App, chat: MemoryAdapter, language: str
) -> None:
    await file_a_report(chat, photo=False)
    await _statement(chat, "Vote on 15 December!")
    assert REPORT_1[language] in texts(await chat.say("/queue", user=ALICE, language=language))
    # Alice opens a candidate's item in the room: the report she left is free at once.
    item = await say_in(chat, IN_ROOM, "/queue", user=ALICE, language=language)
    assert "Vote on 15 December!" in texts(item)
    shown = texts(await chat.say("/queue", user=CAROL, language=language))
    assert REPORT_1[language] in shown


SKIPPED = {
    EN: ("Skipped: the item is free again for the other moderators.",
         "Nothing else waits for you now."),
    ZH: ("已跳过：这一项已释放，其他审核员可以处理。", "目前没有其他待你处理的事项。"),
}  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
async def test_skip_releases_the_claim_and_says_so(
    bot: App, chat: MemoryAdapter, language: str
) -> None:
    await file_a_report(chat, photo=False)
    await chat.say("/queue", user=ALICE, language=language)
    skipped = texts(await chat.press("q:skip:1", user=ALICE, language=language))
    for line in SKIPPED[language]:
        assert line in skipped
    assert "Report 1" in texts(await chat.say("/queue", user=BOB))


@pytest.mark.parametrize("language", LANGUAGES)
async def test_skip_on_a_candidate_update_moves_on_to_the_next_item(
    bot: App, chat: MemoryAdapter, language: str
) -> None:
    await _statement(chat, "First statement.", candidate=1)
    await _statement(chat, "Second statement.", candidate=2)
    first = await chat.say("/queue", user=BOB, language=language)
    assert "First statement." in texts(first)
    skip = next(p for p in payloads(first) if p.startswith("qc:skip:"))
    second = await chat.press(skip, user=BOB, language=language)
    assert "Second statement." in texts(second)
    assert any(p.startswith("qc:ok:") for p in payloads(second))
    # The skipped one is free: another moderator gets it now.
    assert "First statement." in texts(await chat.say("/queue", user=ALICE))
    # Skipping the last one says nothing else waits, in the moderator's language.
    last = next(p for p in payloads(second) if p.startswith("qc:skip:"))
    assert SKIPPED[language][1] in texts(await chat.press(last, user=BOB, language=language))


HELD = {EN: "Items other moderators hold now: 1.", ZH: "其他审核员正在处理的事项：1 项。"}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_an_empty_queue_says_how_many_items_others_hold(
    bot: App, chat: MemoryAdapter, language: str
) -> None:
    await file_a_report(chat, photo=False)
    await chat.say("/queue", user=ALICE)
    answer = texts(await chat.say("/queue", user=CAROL, language=language))
    assert HELD[language] in answer
    assert "12:15" in answer  # Alice's claim lapses 15 minutes after noon, at the latest


# Item 11: help by role, trust audited apart, no summary without consent -------------


MODERATOR_LINES = {EN: "For moderators:", ZH: "审核员功能："}
ADMIN_LINES = {EN: "For administrators:", ZH: "管理员功能："}
CANDIDATE_LINES = {EN: "For your candidacy:", ZH: "候选人功能："}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_help_lists_the_commands_each_role_may_use(
    chat: MemoryAdapter, language: str
) -> None:
    await _statement(chat, "Hello voters.")
    helps = {
        who: texts(await chat.say("/help", user=user, language=language))
        for who, user in (("citizen", SENDER), ("moderator", ALICE), ("admin", CAROL),
                          ("candidate", f"{CANDIDATE}1"))
    }  # fmt: skip
    for text in helps.values():
        assert "/search" in text and "/report" in text
    citizen, mod, admin, candidate = (helps[w] for w in ("citizen", "moderator", "admin",
                                                          "candidate"))  # fmt: skip
    for command in ("/queue", "/verify", "/setdate", "/mods", "/audit", "/update"):
        assert command not in citizen
    assert MODERATOR_LINES[language] in mod and "/queue" in mod and "/setdate" in mod
    assert "/mods" not in mod and "/update" not in mod
    assert ADMIN_LINES[language] in admin and "/mods" in admin and "/audit" in admin
    assert "/queue" in admin  # administrators moderate too
    assert CANDIDATE_LINES[language] in candidate and "/update" in candidate
    assert "/myprofile" in candidate and "/queue" not in candidate


TRUST_LABELS = {EN: ("trusted a candidate", "stopped trusting a candidate"),
                ZH: ("信任候选人", "取消信任候选人")}  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
async def test_trust_and_trust_off_are_audited_apart(
    bot: App, chat: MemoryAdapter, language: str
) -> None:
    await chat.say("/trust 1", user=ALICE, language=language)
    await chat.say("/trust 1 关" if language == ZH else "/trust 1 off", user=ALICE,
                   language=language)  # fmt: skip
    # A mistyped switch changes nothing instead of trusting.
    usage = texts(await chat.say("/trust 1 of", user=ALICE, language=language))
    assert "/trust" in usage and ("用法" in usage if language == ZH else "Use /trust" in usage)
    async with bot.engine.connect() as connection:
        actions = list(
            await connection.scalars(
                select(AuditEntry.action).where(AuditEntry.target_type == "candidacy")
            )
        )
    assert actions == ["trust", "trust_off"]
    log = texts(await chat.say("/audit", user=CAROL, language=language))
    granted, withdrawn = TRUST_LABELS[language]
    assert withdrawn in log and granted in log.replace(withdrawn, "")


async def _report_without_consent(chat: MemoryAdapter) -> None:
    await chat.say("/report", user=SENDER)
    await chat.press("rpt:go", user=SENDER)
    await chat.press("rptc:threatening_calls", user=SENDER)
    places = await chat.say("西湖区", user=SENDER)
    area = next(p for p in payloads(places) if p.startswith("rpta:") and p != "rpta:")
    await chat.press(area, user=SENDER)
    await chat.press("rptw:this_week", user=SENDER)
    await chat.say("有人打电话威胁我。", user=SENDER)
    assert "rptpub:no" in payloads(await chat.press("rptp:done", user=SENDER))
    await chat.press("rptpub:no", user=SENDER)
    assert "receipt" in texts(await chat.press("rpts:send", user=SENDER))


NO_CONSENT = {
    EN: "The reporter does not allow publishing a summary.",
    ZH: "报告人不允许发布摘要。",
}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_report_without_consent_offers_no_summary_and_refuses_the_payload(
    bot: App, chat: MemoryAdapter, language: str
) -> None:
    await _report_without_consent(chat)
    shown = await chat.say("/queue", user=ALICE, language=language)
    assert NO_CONSENT[language] in texts(shown)
    assert "q:sum:1" not in payloads(shown) and "q:ask:1" in payloads(shown)
    # A forged or old payload is refused, audited, and opens no summary step.
    assert NO_CONSENT[language] in texts(await chat.press("q:sum:1", user=ALICE,
                                                          language=language))  # fmt: skip
    await chat.say("A summary typed anyway.", user=ALICE, language=language)
    async with unit_factory(bot.engine)() as unit:
        report = await unit.session.get_one(Report, 1)
        assert report.summary is None
        refused = await unit.session.scalar(
            select(AuditEntry.detail).where(AuditEntry.action == "refused",
                                            AuditEntry.target_type == "report")
        )  # fmt: skip
    assert refused is not None and refused["button"] == "q:sum"
