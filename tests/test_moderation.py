"""Moderation on SQLite and PostgreSQL: roles checked on every call, the report queue with
claims, the two-moderator rule, published incidents, candidate claim codes, and the
hash-chained audit log."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.adapters.memory import MemoryAdapter
from bot.app import App, build_app
from handlers.policy import Policy, ReportSetup
from storage import audit
from storage.crypto import ModeratorKeys, generate
from storage.dataset import load_dataset, read_packaged
from storage.models import AuditEntry, ClaimCode, PublishedIncident, Report, StaffRole
from storage.receipts import ReceiptHasher
from storage.roles import add_staff
from storage.unit import unit_factory
from tests.conftest import FIXED_NOW, TEST_KEY
from tests.helpers import payloads, texts
from tests.test_reports import DESCRIPTION, file_a_report

EN, ZH = "en", "zh-hans"
ALICE, BOB, CAROL, CITIZEN = "9001", "9002", "9003", "12345"
AUDIT_KEY = audit.AuditKey(bytes(range(32, 64)))


def _policy(keys: ModeratorKeys, approvals: int, now: datetime = FIXED_NOW) -> Policy:
    return Policy(
        clock=lambda: now,
        reports=ReportSetup(keys=keys, hasher=ReceiptHasher(b"s" * 16, time_cost=1, memory_kib=8)),
        publish_approvals=approvals,
        audit_key=AUDIT_KEY,
    )


async def _app(db_url: str, keys: ModeratorKeys, approvals: int = 2) -> App:
    app = await build_app(db_url, TEST_KEY, migrate=False, policy=_policy(keys, approvals))
    return app


@pytest.fixture
async def moderated(db_url: str) -> AsyncIterator[App]:
    private = generate()
    app = await _app(db_url, ModeratorKeys(private.public_key, private))
    async with unit_factory(app.engine)() as unit:
        await load_dataset(unit.session, read_packaged())
        await add_staff(unit.session, "memory", ALICE, StaffRole.moderator)
        await add_staff(unit.session, "memory", BOB, StaffRole.moderator)
        await add_staff(unit.session, "memory", CAROL, StaffRole.admin)
    yield app
    await app.close()


@pytest.fixture
def chat(moderated: App) -> MemoryAdapter:
    adapter = MemoryAdapter(language=EN)
    adapter.attach(moderated.sink_for(adapter))
    return adapter


async def _audit_actions(app: App) -> list[tuple[str, str]]:
    async with app.engine.connect() as connection:
        rows = await connection.execute(
            select(AuditEntry.actor, AuditEntry.action).order_by(AuditEntry.id)
        )
        return [(actor, action) for actor, action in rows]


@pytest.mark.parametrize(
    ("language", "refusal"),
    [(EN, "Not allowed: this is for moderators."), (ZH, "不允许：这是审核员的功能。")],
)
async def test_a_citizen_cannot_moderate_and_the_attempt_is_audited(
    moderated: App, chat: MemoryAdapter, language: str, refusal: str
) -> None:
    for command in ("/queue", "/verify 1", "/revoke 1"):
        assert refusal in texts(await chat.say(command, user=CITIZEN, language=language))
    actions = await _audit_actions(moderated)
    assert [a for _, a in actions] == ["refused"] * 3
    assert all(actor == "citizen" for actor, _ in actions), "no pseudonym, no raw id"


async def test_a_forged_queue_payload_from_a_citizen_changes_nothing(
    moderated: App, chat: MemoryAdapter
) -> None:
    await file_a_report(chat, photo=False)
    for payload in ("q:pub:1", "q:rr:1:other", "q:esc:1"):
        assert "Not allowed" in texts(await chat.press(payload, user=CITIZEN))
    async with unit_factory(moderated.engine)() as unit:
        report = await unit.session.get_one(Report, 1)
        assert report.status == "new" and not report.escalated


async def test_two_different_moderators_must_approve_before_publishing(
    moderated: App, chat: MemoryAdapter
) -> None:
    await file_a_report(chat, photo=False)
    shown = await chat.say("/queue", user=ALICE)
    assert DESCRIPTION in texts(shown), "the moderator sees the decrypted report"
    assert "q:sum:1" in payloads(shown)
    await chat.press("q:sum:1", user=ALICE)
    summary = await chat.say("A candidate's family received threatening calls.", user=ALICE)
    assert "Public summary (0 of 2 approvals)" in texts(summary)
    assert "Approved (1 of 2)" in texts(await chat.press("q:pub:1", user=ALICE))
    # The same moderator cannot approve twice to reach two.
    await chat.say("/queue", user=ALICE)
    assert "Approved (1 of 2)" in texts(await chat.press("q:pub:1", user=ALICE))
    async with unit_factory(moderated.engine)() as unit:
        assert await unit.session.scalar(select(PublishedIncident.id)) is None
    await chat.say("/queue", user=BOB)
    assert "Published" in texts(await chat.press("q:pub:1", user=BOB))
    incidents = texts(await chat.say("/incidents", user=CITIZEN))
    assert "A candidate's family received threatening calls." in incidents
    assert "Week of November 23, 2026, 西湖区" in incidents
    assert DESCRIPTION not in incidents
    zh = texts(await chat.say("/incidents 西湖区", user=CITIZEN, language=ZH))
    assert "2026年11月23日" in zh and "威胁电话或匿名电话" in zh


async def test_an_edited_summary_needs_approving_again(moderated: App, chat: MemoryAdapter) -> None:
    await file_a_report(chat, photo=False)
    await chat.say("/queue", user=ALICE)
    await chat.press("q:sum:1", user=ALICE)
    await chat.say("First wording.", user=ALICE)
    await chat.press("q:pub:1", user=ALICE)
    await chat.say("/queue", user=BOB)
    await chat.press("q:sum:1", user=BOB)
    assert "(0 of 2 approvals)" in texts(await chat.say("Second wording.", user=BOB))


async def test_two_moderators_never_hold_the_same_item(moderated: App, chat: MemoryAdapter) -> None:
    await file_a_report(chat, photo=False)
    assert "Report 1" in texts(await chat.say("/queue", user=ALICE))
    assert "The queue is empty" in texts(await chat.say("/queue", user=BOB))
    refused = texts(await chat.press("q:rej:1", user=BOB))
    assert "not claimed by you" in refused
    assert ("memory:9002", "refused") in await _audit_actions(moderated)


async def test_a_removed_moderator_loses_the_item_at_once(
    moderated: App, chat: MemoryAdapter
) -> None:
    await file_a_report(chat, photo=False)
    await chat.say("/queue", user=ALICE)
    assert "Done" in texts(await chat.say(f"/mods remove memory:{ALICE}", user=CAROL))
    assert "Not allowed" in texts(await chat.press("q:pub:1", user=ALICE))


async def test_rejecting_asks_for_a_reason_and_closes_the_report(
    moderated: App, chat: MemoryAdapter
) -> None:
    await file_a_report(chat, photo=False)
    await chat.say("/queue", user=ALICE)
    reasons = await chat.press("q:rej:1", user=ALICE)
    assert "q:rr:1:duplicate" in payloads(reasons)
    assert "Rejected" in texts(await chat.press("q:rr:1:duplicate", user=ALICE))
    async with unit_factory(moderated.engine)() as unit:
        report = await unit.session.get_one(Report, 1)
        assert (report.status, report.reject_reason) == ("rejected", "duplicate")
        assert report.closed_on is not None


async def test_a_question_reaches_the_reporter_and_the_answer_returns_to_the_queue(
    moderated: App, chat: MemoryAdapter
) -> None:
    receipt = await file_a_report(chat, photo=False)
    await chat.say("/queue", user=ALICE)
    await chat.press("q:ask:1", user=ALICE)
    assert "Sent" in texts(await chat.say("Which town was it in?", user=ALICE))
    status = texts(await chat.say(f"/status {receipt}", user="phone"))
    assert "Moderators, November 28, 2026: Which town was it in?" in status
    await chat.press("rstat:add", user="phone")
    await chat.say("It was in Xixi.", user="phone")
    shown = texts(await chat.say("/queue", user=BOB))
    assert "Reporter: It was in Xixi." in shown
    entries = await _audit_actions(moderated)
    assert ("memory:9001", "ask") in entries
    async with moderated.engine.connect() as connection:
        details = list(await connection.scalars(select(AuditEntry.detail)))
    assert not any("Which town" in str(d) or "Xixi" in str(d) for d in details)


async def test_claim_codes_work_once_and_only_in_time(db_url: str) -> None:
    private = generate()
    keys = ModeratorKeys(private.public_key, private)
    app = await _app(db_url, keys)
    async with unit_factory(app.engine)() as unit:
        await load_dataset(unit.session, read_packaged())
        await add_staff(unit.session, "memory", ALICE, StaffRole.moderator)
    chat = MemoryAdapter(language=EN)
    chat.attach(app.sink_for(chat))
    issued = texts(await chat.say("/verify 1", user=ALICE))
    assert "Claim code for 曾立新 (1):" in issued
    code = issued.splitlines()[1]
    assert "badge" in texts(await chat.say(f"/claim {code.lower()}", user="candidate-phone"))
    assert "verified account speaks" in texts(await chat.say("/candidate 1", user=CITIZEN))
    assert "not valid" in texts(await chat.say(f"/claim {code}", user="someone-else"))
    # An expired code is refused too.
    late = texts(await chat.say("/verify 2", user=ALICE)).splitlines()[1]
    async with unit_factory(app.engine)() as unit:
        await unit.session.execute(
            update(ClaimCode).values(expires_at=FIXED_NOW - timedelta(hours=1))
        )
    assert "not valid" in texts(await chat.say(f"/claim {late}", user="late-phone"))
    assert "1 accounts no longer speak for 曾立新" in texts(await chat.say("/revoke 1", user=ALICE))
    assert "verified account" not in texts(await chat.say("/candidate 1", user=CITIZEN))
    await app.close()


async def test_audit_chain_detects_a_tampered_row(moderated: App, chat: MemoryAdapter) -> None:
    await chat.say("/queue", user=CITIZEN)
    await chat.say("/verify 1", user=ALICE)
    await chat.say("/mods list", user=CAROL)
    await chat.say("/verify 2", user=ALICE)
    async with unit_factory(moderated.engine)() as unit:
        verdict = await audit.verify(unit.session, AUDIT_KEY)
        assert verdict.intact and verdict.entries == 3
    async with unit_factory(moderated.engine)() as unit:
        await unit.session.execute(
            update(AuditEntry).where(AuditEntry.id == 2).values(actor="memory:somebody-else")
        )
    async with unit_factory(moderated.engine)() as unit:
        assert (await audit.verify(unit.session, AUDIT_KEY)).first_broken == 2
    assert "broken at entry 2" in texts(await chat.say("/audit", user=CAROL))
    assert "administrators" in texts(await chat.say("/audit", user=ALICE))


def test_cli_audit_verify_names_the_first_broken_row(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "audit.sqlite"
    env = {"CANDIBOT_DATABASE_URL": f"sqlite:///{db}", "CANDIBOT_CONFIG": str(tmp_path / "x"),
           "PATH": "/usr/bin:/bin"}  # fmt: skip
    cli = [sys.executable, "-m", "bot.cli"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*cli, *args], capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=120, check=False)  # fmt: skip

    assert run("moderators", "add", "telegram:42").returncode == 0
    assert run("moderators", "add", "matrix:@ann:example.org", "--role", "admin").returncode == 0
    assert "telegram:42\tmoderator" in run("moderators", "list").stdout
    assert run("moderators", "remove", "telegram:42").returncode == 0
    good = run("audit", "verify")
    assert good.returncode == 0 and "intact: 3 entries" in good.stdout
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE audit_log SET action = 'nothing' WHERE id = 2")
    bad = run("audit", "verify")
    assert bad.returncode == 1 and "broken at entry 2" in bad.stdout


async def _claimed_candidate(chat: MemoryAdapter, user: str = "cand") -> None:
    code = texts(await chat.say("/verify 1", user=ALICE)).splitlines()[1]
    await chat.say(f"/claim {code}", user=user)


async def test_a_candidate_statement_waits_for_review_then_shows(
    moderated: App, chat: MemoryAdapter
) -> None:
    await _claimed_candidate(chat)
    await chat.say("/update", user="cand")
    assert "Send your statement" in texts(await chat.press("upd:statement", user="cand"))
    assert "Sent for review" in texts(await chat.say("Vote on 15 December!", user="cand"))
    mine = texts(await chat.say("/myprofile", user="cand"))
    assert "• statement: Vote on 15 December! (waiting for review)" in mine
    assert "Vote on 15 December!" not in texts(await chat.say("/candidate 1", user=CITIZEN))
    item = await chat.say("/queue", user=BOB)
    assert "From candidate 曾立新 (1)" in texts(item)
    approve = next(p for p in payloads(item) if p.startswith("qc:ok:"))
    assert "Published" in texts(await chat.press(approve, user=BOB))
    assert "Vote on 15 December!" in texts(await chat.say("/candidate 1", user=CITIZEN))
    assert ("memory:9002", "approve") in await _audit_actions(moderated)


@pytest.mark.parametrize(
    ("language", "hint", "question"),
    [
        (EN, "Please choose one of the buttons below, or /cancel.", "What do you want to publish?"),
        (ZH, "请从下面的按钮中选择，或输入 /cancel 取消。", "你想发布什么？"),
    ],
)
async def test_an_answer_off_the_update_menu_asks_again(
    chat: MemoryAdapter, language: str, hint: str, question: str
) -> None:
    """Not "no candidate called hmm": the menu again, its buttons still answer it."""
    await _claimed_candidate(chat)
    await chat.say("/update", user="cand", language=language)
    for said in ("hmm", "statement", "曾立新"):
        again = await chat.say(said, user="cand", language=language)
        assert texts(again) == f"{hint}\n{question}", said
        assert "upd:statement" in payloads(again)
    await chat.press("upd:statement", user="cand", language=language)
    sent = await chat.say("Vote on 15 December!", user="cand", language=language)
    assert "Vote" not in texts(sent) and texts(sent)  # the statement step took it


async def test_a_changed_platform_point_keeps_its_history(
    moderated: App, chat: MemoryAdapter
) -> None:
    await _claimed_candidate(chat)
    await chat.say("/update", user="cand")
    await chat.press("upd:platform", user="cand")
    await chat.press("updt:housing", user="cand")
    await chat.say("Build 2,000 affordable homes by 2028.", user="cand")
    item = await chat.say("/queue", user=BOB)
    await chat.press(next(p for p in payloads(item) if p.startswith("qc:ok:")), user=BOB)
    profile = texts(await chat.say("/candidate 1", user=CITIZEN))
    assert "Build 2,000 affordable homes by 2028. (revised November 28, 2026)" in profile
    async with unit_factory(moderated.engine)() as unit:
        from storage.models import PlatformPoint, PlatformPointRevision

        wordings = list(
            await unit.session.scalars(
                select(PlatformPointRevision.text)
                .join(PlatformPoint, PlatformPoint.id == PlatformPointRevision.point_id)
                .where(PlatformPoint.candidacy_id == 1, PlatformPoint.topic == "housing",
                       PlatformPointRevision.language == "en")
                .order_by(PlatformPointRevision.id)
            )
        )  # fmt: skip
    assert len(wordings) == 2 and wordings[-1] == "Build 2,000 affordable homes by 2028."


async def test_a_trusted_candidate_publishes_at_once_and_is_reviewed_after(
    moderated: App, chat: MemoryAdapter
) -> None:
    await _claimed_candidate(chat)
    assert "publish at once" in texts(await chat.say("/trust 1", user=ALICE))
    await chat.say("/update", user="cand")
    await chat.press("upd:link", user="cand")
    assert "not a web link" in texts(await chat.say("javascript:alert(1)", user="cand"))
    assert "Published. Moderators will review it afterwards." in texts(
        await chat.say("https://example.org/zeng", user="cand")
    )
    assert "https://example.org/zeng" in texts(await chat.say("/candidate 1", user=CITIZEN))
    item = await chat.say("/queue", user=BOB)
    assert "Already published" in texts(item)
    reasons = await chat.press(next(p for p in payloads(item) if p.startswith("qc:no:")), user=BOB)
    await chat.press(next(p for p in payloads(reasons) if p.endswith(":bad_link")), user=BOB)
    assert "https://example.org/zeng" not in texts(await chat.say("/candidate 1", user=CITIZEN))


async def test_withdrawal_takes_effect_when_a_moderator_confirms(
    moderated: App, chat: MemoryAdapter
) -> None:
    await _claimed_candidate(chat)
    await chat.say("/update", user="cand")
    await chat.press("upd:withdrawal", user="cand")
    await chat.press("updw:yes", user="cand")
    item = await chat.say("/queue", user=BOB)
    await chat.press(next(p for p in payloads(item) if p.startswith("qc:ok:")), user=BOB)
    assert "withdrawn" in texts(await chat.say("/candidate 1", user=CITIZEN))


@pytest.mark.parametrize(
    ("language", "refusal"),
    [(EN, "Only a verified candidate's own account"), (ZH, "只有已验证候选人本人的账号")],
)
async def test_only_a_verified_candidate_can_update(
    chat: MemoryAdapter, language: str, refusal: str
) -> None:
    assert refusal in texts(await chat.say("/update", user=CITIZEN, language=language))
    assert refusal in texts(await chat.press("upd:statement", user=CITIZEN, language=language))


async def test_a_forged_candidate_item_payload_is_refused(
    moderated: App, chat: MemoryAdapter
) -> None:
    await _claimed_candidate(chat)
    await chat.say("/update", user="cand")
    await chat.press("upd:statement", user="cand")
    await chat.say("Hello voters.", user="cand")
    await chat.say("/queue", user=ALICE)
    assert "not claimed by you" in texts(await chat.press("qc:ok:u:1", user=BOB))
    assert "Not allowed" in texts(await chat.press("qc:ok:u:1", user=CITIZEN))
    assert "Hello voters." not in texts(await chat.say("/candidate 1", user=CITIZEN))


RECORDED_EN = "Recorded for 海淀区: election day December 20, 2026 (announced); source: "
RECORDED_ZH = "已记录海淀区：选举日 2026年12月20日（已公布）；来源：区选举委员会公告。"


@pytest.mark.parametrize(("language", "recorded"), [(EN, RECORDED_EN), (ZH, RECORDED_ZH)])
async def test_a_moderator_sets_an_election_day_and_it_is_audited(
    moderated: App, chat: MemoryAdapter, language: str, recorded: str
) -> None:
    assert "not announced yet" in texts(await chat.say("/elections 海淀区", user=CITIZEN))
    reply = texts(
        await chat.say("/setdate 海淀区 2026-12-20 announced 区选举委员会公告", user=ALICE,
                       language=language)
    )  # fmt: skip
    assert recorded in reply
    shown = texts(await chat.say("/elections 海淀区", user=CITIZEN))
    assert "election day December 20, 2026 (announced)" in shown
    assert "• November 30, 2026: Voter roll published (by law, Election Law Art. 28)" in shown
    await chat.say("/setdate 海淀区 roll 2026-11-29 公告", user=ALICE)
    assert "• November 29, 2026: Voter roll published (announced; Election Law Art. 28)" in texts(
        await chat.say("/elections 海淀区", user=CITIZEN)
    )
    async with moderated.engine.connect() as connection:
        details = list(
            await connection.scalars(
                select(AuditEntry.detail).where(AuditEntry.action == "set_date")
            )
        )
    assert details[0]["before"]["election_day"] == "None"
    assert details[0]["after"]["election_day"] == "2026-12-20"
    assert "Not allowed" in texts(await chat.say("/setdate 海淀区 2027-01-01", user=CITIZEN))
    assert "Use /setdate" in texts(await chat.say("/setdate 海淀区 tomorrow", user=ALICE))


async def test_stats_count_reports_and_draw_a_chart(moderated: App, chat: MemoryAdapter) -> None:
    await file_a_report(chat, photo=False)
    await file_a_report(chat, photo=False, place="进贤县")
    replies = await chat.say("/stats", user=ALICE)
    text = texts(replies)
    assert "Reports: 2" in text and "Threatening or anonymous calls 2" in text
    assert "西湖区 1" in text and "进贤县 1" in text
    image = replies[0].image
    assert image is not None and image.startswith(b"\x89PNG\r\n\x1a\n")
    assert DESCRIPTION not in text
    assert "报告总数：2" in texts(await chat.say("/stats", user=ALICE, language=ZH))
    assert "Not allowed" in texts(await chat.say("/stats", user=CITIZEN))


async def test_the_whole_moderation_walk_in_chinese(moderated: App, chat: MemoryAdapter) -> None:
    await file_a_report(chat, photo=False)
    shown = texts(await chat.say("/queue", user=ALICE, language=ZH))
    assert "报告 1" in shown and "威胁电话或匿名电话" in shown
    assert "请在一条消息中发送公开摘要" in texts(
        await chat.press("q:sum:1", user=ALICE, language=ZH)
    )
    summary = texts(await chat.say("一位候选人的家属接到威胁电话。", user=ALICE, language=ZH))
    assert "公开摘要（已批准 0/2）：一位候选人的家属接到威胁电话。" in summary
    assert "已批准（1/2）" in texts(await chat.press("q:pub:1", user=ALICE, language=ZH))
    await chat.say("/queue", user=BOB, language=ZH)
    assert "已发布" in texts(await chat.press("q:pub:1", user=BOB, language=ZH))
    issued = texts(await chat.say("/verify 1", user=ALICE, language=ZH))
    assert "曾立新（1）的认领码：" in issued
    claimed = texts(await chat.say(f"/claim {issued.splitlines()[1]}", user="cand", language=ZH))
    assert "你的账号现在代表曾立新" in claimed
    await chat.say("/update", user="cand", language=ZH)
    await chat.press("upd:statement", user="cand", language=ZH)
    assert "已提交审核" in texts(await chat.say("十二月十五日请去投票！", user="cand", language=ZH))
    item = await chat.say("/queue", user=BOB, language=ZH)
    assert "来自候选人曾立新（1）" in texts(item)
    ok = next(p for p in payloads(item) if p.startswith("qc:ok:"))
    assert "已发布" in texts(await chat.press(ok, user=BOB, language=ZH))
    assert "不允许：这是管理员的功能。" in texts(await chat.say("/audit", user=ALICE, language=ZH))
    assert "哈希链完整" in texts(await chat.say("/audit", user=CAROL, language=ZH))


async def test_subscribers_hear_when_a_moderator_sets_the_date(
    moderated: App, chat: MemoryAdapter
) -> None:
    from bot.delivery import OutboxPump

    unknown = await chat.say("/elections 海淀区", user=CITIZEN)
    offer = next(p for p in payloads(unknown) if p.startswith("alert:"))
    assert "I keep this chat's id" in texts(await chat.press(offer, user=CITIZEN))
    await chat.press(offer, user="zh-reader", language=ZH)
    assert "海淀区" in texts(await chat.say("/alerts", user=CITIZEN))
    await chat.say("/setdate 海淀区 2026-12-20 announced 公告", user=ALICE)
    before = len(chat.sent)
    assert await OutboxPump(moderated.engine, chat).once() == 2
    alerts = {sent.chat.id: sent.reply.text.plain for sent in chat.sent[before:]}
    assert "election day December 20, 2026 (announced)" in alerts[CITIZEN]
    assert "选举日 2026年12月20日（已公布）" in alerts["zh-reader"]
    stop = await chat.say("/alerts", user=CITIZEN)
    await chat.press(next(p for p in payloads(stop) if p.startswith("unalert:")), user=CITIZEN)
    assert "You follow no place" in texts(await chat.say("/alerts", user=CITIZEN))
