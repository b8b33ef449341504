"""Issue 13, item 12: candidates' flows. A campaign event in the past, on election day
(Election Law Art. 34) or after it is refused with the reason; a rejected update reaches
the candidate with the moderators' reason, and /myprofile shows what became of each;
the withdrawal question has a "No" that keeps everything; the demo's candidate claims
their profile with a code like anyone else. On SQLite and PostgreSQL, in Chinese and
English."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.adapters.memory import MemoryAdapter
from bot.app import App
from bot.delivery import OutboxPump
from storage.models import Candidacy, CandidateUpdate
from storage.unit import unit_factory
from tests.helpers import payloads, texts
from tests.staffed import ALICE, EN, ZH, attached, staffed_app

CANDIDATE = "cand"  # speaks for 曾立新 (1), in 西湖区: election day 2026-12-15
LANGUAGES = [EN, ZH]


@pytest.fixture
async def bot(db_url: str) -> AsyncIterator[App]:
    app = await staffed_app(db_url)
    yield app
    await app.close()


@pytest.fixture
async def chat(bot: App) -> MemoryAdapter:
    adapter = attached(bot)
    code = texts(await adapter.say("/verify 1", user=ALICE)).splitlines()[1]
    await adapter.say(f"/claim {code}", user=CANDIDATE)
    return adapter


async def _updates(app: App) -> int:
    async with unit_factory(app.engine)() as unit:
        return int(await unit.session.scalar(select(func.count(CandidateUpdate.id))) or 0)


# Campaign events: from today to the eve of election day -------------------------------

REFUSALS = {
    ("past", EN): "That day has passed.",
    ("past", ZH): "这一天已经过去了。",
    ("election_day", EN): "December 15, 2026 is election day, and all introduction of "
    "candidates stops on election day (Election Law Art. 34).",
    ("election_day", ZH): "2026年12月15日是选举日，选举日必须停止对代表候选人的介绍"
    "（《选举法》第三十四条）。",
    ("after", EN): "December 16, 2026 is after election day (December 15, 2026)",
    ("after", ZH): "2026年12月16日在选举日（2026年12月15日）之后",
}
DAYS = {"past": "2026-11-27", "election_day": "2026-12-15", "after": "2026-12-16"}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("when", sorted(DAYS))
async def test_an_event_in_the_past_or_on_or_after_election_day_is_refused(
    bot: App, chat: MemoryAdapter, language: str, when: str
) -> None:
    say = lambda text: chat.say(text, user=CANDIDATE, language=language)  # noqa: E731
    await say("/update")
    await chat.press("upd:event", user=CANDIDATE, language=language)
    refused = texts(await say(DAYS[when]))
    assert REFUSALS[(when, language)] in refused
    # The question stands: a good day goes on to the place.
    asked = texts(await say("2026-12-05"))
    assert ("Where?" if language == EN else "在哪里？") in asked
    await say("文三路广场")
    assert ("Sent for review" if language == EN else "已提交审核") in texts(await say("见面会"))
    async with unit_factory(bot.engine)() as unit:
        days = list(await unit.session.scalars(select(CandidateUpdate.event_day)))
    assert [str(day) for day in days] == ["2026-12-05"]


async def test_an_event_day_is_checked_again_when_the_event_is_sent(
    bot: App, chat: MemoryAdapter
) -> None:
    await chat.say("/update", user=CANDIDATE)
    await chat.press("upd:event", user=CANDIDATE)
    await chat.say("2026-12-05", user=CANDIDATE)
    await chat.say("文三路广场", user=CANDIDATE)
    # Meanwhile the election is brought forward to that very day.
    await chat.say("/setdate 西湖区 2026-12-05 announced 公告", user=ALICE)
    assert "election day" in texts(await chat.say("A meeting with voters.", user=CANDIDATE))
    assert await _updates(bot) == 0


# Decisions reach the candidate ---------------------------------------------------------

REJECTED = {
    EN: ("Moderators did not publish your update (statement, sent November 28, 2026). "
         "Reason: It is not about the election or your platform."),
    ZH: "审核员没有发布你的更新（声明，2026年11月28日提交）。理由：内容与选举或你的竞选主张无关。",
}  # fmt: skip
STATUS = {
    EN: ("• statement: Buy my book. (not published: It is not about the election or your "
         "platform.)"),
    ZH: "• 声明：Buy my book.（未发布：内容与选举或你的竞选主张无关。）",
}  # fmt: skip


async def _reject(chat: MemoryAdapter, reason: str, language: str = EN) -> list[str]:
    item = await chat.say("/queue", user=ALICE, language=language)
    no = next(p for p in payloads(item) if p.startswith("qc:no:"))
    reasons = await chat.press(no, user=ALICE, language=language)
    why = next(p for p in payloads(reasons) if p.endswith(f":{reason}"))
    return [texts(await chat.press(why, user=ALICE, language=language))]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_rejected_update_reaches_the_candidate_with_the_reason(
    bot: App, chat: MemoryAdapter, language: str
) -> None:
    await chat.say("/update", user=CANDIDATE, language=language)
    await chat.press("upd:statement", user=CANDIDATE, language=language)
    await chat.say("Buy my book.", user=CANDIDATE, language=language)
    decided = await _reject(chat, "off_topic")
    assert "The candidate is told" in decided[0]
    before = len(chat.sent)
    await OutboxPump(bot.engine, chat).once()
    told = [sent.reply.text.plain for sent in chat.sent[before:] if sent.chat.id == CANDIDATE]
    assert len(told) == 1 and REJECTED[language] in told[0], "in the language it was sent in"
    mine = texts(await chat.say("/myprofile", user=CANDIDATE, language=language))
    assert STATUS[language] in mine


async def test_a_reason_in_the_moderators_own_words_reaches_the_candidate(
    bot: App, chat: MemoryAdapter
) -> None:
    await chat.say("/update", user=CANDIDATE)
    await chat.press("upd:link", user=CANDIDATE)
    await chat.say("https://example.org/zeng", user=CANDIDATE)
    item = await chat.say("/queue", user=ALICE)
    reasons = await chat.press(next(p for p in payloads(item) if p.startswith("qc:no:")),
                               user=ALICE)  # fmt: skip
    other = next(p for p in payloads(reasons) if p.endswith(":other"))
    assert "Write the reason" in texts(await chat.press(other, user=ALICE))
    assert "Rejected" in texts(await chat.say("The page asks for <b>money</b>.", user=ALICE))
    await OutboxPump(bot.engine, chat).once()
    told = chat.sent[-1]
    assert told.chat.id == CANDIDATE and "Reason: The page asks for <b>money</b>." in (
        told.reply.text.plain
    )
    mine = texts(await chat.say("/myprofile", user=CANDIDATE))
    assert "(not published: The page asks for <b>money</b>.)" in mine


async def test_the_candidate_sees_what_became_of_each_update(bot: App, chat: MemoryAdapter) -> None:
    for text in ("First.", "Second."):
        await chat.say("/update", user=CANDIDATE)
        await chat.press("upd:statement", user=CANDIDATE)
        await chat.say(text, user=CANDIDATE)
    item = await chat.say("/queue", user=ALICE)
    await chat.press(next(p for p in payloads(item) if p.startswith("qc:ok:")), user=ALICE)
    mine = texts(await chat.say("/myprofile", user=CANDIDATE, language=ZH))
    assert "• 声明：First.（已发布：公众可以看到）" in mine
    assert "• 声明：Second.（等待审核）" in mine


# A campaign event end to end ----------------------------------------------------------

EVENT = {
    EN: ("Campaign event on December 5, 2026 at 文三路广场: Meet the voters.",
         "• campaign event: Meet the voters. (published: citizens see it)"),
    ZH: ("竞选活动（2026年12月5日，文三路广场）：Meet the voters.",
         "• 竞选活动：Meet the voters.（已发布：公众可以看到）"),
}  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_campaign_event_is_proposed_reviewed_published_and_shown(
    bot: App, chat: MemoryAdapter, language: str
) -> None:
    say = lambda text: chat.say(text, user=CANDIDATE, language=language)  # noqa: E731
    await say("/update")
    await chat.press("upd:event", user=CANDIDATE, language=language)
    await say("2026-12-05")
    await say("文三路广场")
    await say("Meet the voters.")
    shown, mine = EVENT[language]
    assert shown not in texts(await chat.say("/candidate 1", user="voter", language=language))
    item = await chat.say("/queue", user=ALICE, language=language)
    assert "Meet the voters." in texts(item) and "文三路广场" in texts(item)
    approve = next(p for p in payloads(item) if p.startswith("qc:ok:"))
    await chat.press(approve, user=ALICE, language=language)
    async with unit_factory(bot.engine)() as unit:
        event = await unit.session.scalar(select(CandidateUpdate))
        assert event is not None and event.status == "approved"
        assert (str(event.event_day), event.place) == ("2026-12-05", "文三路广场")
    assert shown in texts(await chat.say("/candidate 1", user="voter", language=language))
    assert mine in texts(await say("/myprofile"))


# Withdrawal: "No" keeps everything ---------------------------------------------------

STAYS = {EN: ("No, I stay in the election", "You stay in the election"),
         ZH: ("不，我继续参选", "你继续参选")}  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_withdrawal_question_has_a_no_that_keeps_everything(
    bot: App, chat: MemoryAdapter, language: str
) -> None:
    await chat.say("/update", user=CANDIDATE, language=language)
    asked = await chat.press("upd:withdrawal", user=CANDIDATE, language=language)
    button, answer = STAYS[language]
    assert "updw:no" in payloads(asked)
    assert any(button == b.label for reply in asked for row in reply.buttons for b in row)
    assert answer in texts(await chat.press("updw:no", user=CANDIDATE, language=language))
    assert await _updates(bot) == 0
    async with unit_factory(bot.engine)() as unit:
        assert (await unit.session.get_one(Candidacy, 1)).stage == "official"


# The demo's candidate claims with a code ---------------------------------------------

DEMO = [sys.executable, "-m", "bot.cli", "demo"]


def _demo(args: list[str], stdin: bytes, tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANDIBOT_")}
    env["CANDIBOT_CONFIG"] = str(tmp_path / "none.toml")
    return subprocess.run(DEMO + args, input=stdin, capture_output=True, timeout=120,
                          cwd=tmp_path, env=env, check=False)  # fmt: skip


CLAIMED = {"en": "Your account now speaks for 曾立新", "zh": "你的账号现在代表曾立新"}


@pytest.mark.parametrize(("lang", "claimed"), sorted(CLAIMED.items()))
def test_the_demo_candidate_claims_the_profile_with_a_code_first(
    tmp_path: Path, lang: str, claimed: str
) -> None:
    db = tmp_path / "kept.sqlite"
    args = ["--as", "candidate:1", "--lang", lang, "--db", f"sqlite:///{db}"]
    first = _demo(args, b"/myprofile\n", tmp_path)
    out = first.stdout.decode()
    assert first.returncode == 0, first.stderr.decode()
    shown = re.search(r"^> /claim ([A-Z0-9]{5}-[A-Z0-9]{5})$", out, re.MULTILINE)
    assert shown, out[:400]
    assert out.index(shown.group(0)) < out.index(claimed), "claimed before anything else"
    assert shown.group(1) in first.stderr.decode(), "the terminal says where the code came from"
    with sqlite3.connect(db) as connection:
        used = connection.execute("SELECT used_at IS NOT NULL FROM claim_codes").fetchall()
        actions = [a for (a,) in connection.execute("SELECT action FROM audit_log")]
    assert used == [(1,)] and "claim" in actions, "a real code, redeemed through /claim"
    # A kept database remembers the claim: no second code.
    again = _demo(args, b"/myprofile\n", tmp_path)
    assert "/claim" not in again.stdout.decode() and again.returncode == 0
