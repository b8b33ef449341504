"""Issue 11, finding 9: moderator commands and buttons work only in a private chat with
the bot or in the configured moderators' room, and a decrypted report only ever reaches a
private chat. Anyone can add the bot to a group; nothing of a report may land there."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.core.events import ChatRef
from storage.models import Report
from storage.unit import unit_factory
from tests.helpers import payloads, texts
from tests.staffed import (
    ALICE,
    CAROL,
    EN,
    GROUP,
    ROOM,
    ZH,
    attached,
    press_in,
    say_in,
    staffed_app,
)
from tests.test_reports import DESCRIPTION, file_a_report

MOD_ROOM = ChatRef(*ROOM, private=False)
WRONG_CHAT = {
    EN: "Moderator commands work only in a private chat with the bot or in the moderators' room.",
    ZH: "审核命令只能在与机器人的私聊或审核员群组中使用。",
}
PRIVATE_ONLY = {
    EN: "Reports are shown only in a private chat with the bot",
    ZH: "报告只在与机器人的私聊中显示",
}


@pytest.mark.parametrize("language", [EN, ZH])
async def test_moderator_commands_and_buttons_are_refused_in_any_other_chat(
    db_url: str, language: str
) -> None:
    app = await staffed_app(db_url)
    chat = attached(app)
    await file_a_report(chat, photo=False)
    for command in ("/queue", "/queue quarantine", "/stats", "/verify 1", "/trust 1",
                    "/setdate 海淀区 2027-01-01"):  # fmt: skip
        shown = texts(await say_in(chat, GROUP, command, user=ALICE, language=language))
        assert WRONG_CHAT[language] in shown, command
        assert DESCRIPTION not in shown
    for command in ("/audit", "/mods list"):
        shown = texts(await say_in(chat, GROUP, command, user=CAROL, language=language))
        assert WRONG_CHAT[language] in shown, command
    # A claim held from the private chat does not make the group a place to use it.
    assert DESCRIPTION in texts(await chat.say("/queue", user=ALICE))
    for payload in ("q:skip:1", "q:sum:1", "q:pub:1", "qc:ok:u:1"):
        shown = texts(await press_in(chat, GROUP, payload, user=ALICE, language=language))
        assert WRONG_CHAT[language] in shown and DESCRIPTION not in shown, payload
    assert all(DESCRIPTION not in sent.reply.text.plain for sent in chat.sent
               if not sent.chat.private)  # fmt: skip
    await app.close()


async def test_the_moderators_room_works_but_never_shows_a_decrypted_report(
    db_url: str,
) -> None:
    app = await staffed_app(db_url)
    chat = attached(app)
    await file_a_report(chat, photo=False)
    shown = texts(await say_in(chat, MOD_ROOM, "/queue", user=ALICE))
    assert PRIVATE_ONLY[EN] in shown and DESCRIPTION not in shown
    zh = texts(await say_in(chat, MOD_ROOM, "/queue", user=ALICE, language=ZH))
    assert PRIVATE_ONLY[ZH] in zh
    async with unit_factory(app.engine)() as unit:
        report = await unit.session.scalar(select(Report))
        assert report is not None and report.claimed_by is None, "the room claims no report"
    assert "Reports: 1" in texts(await say_in(chat, MOD_ROOM, "/stats", user=ALICE))
    # The audit log names staff accounts: administrators read it in private only.
    assert "only in a private chat" in texts(await say_in(chat, MOD_ROOM, "/audit", user=CAROL))
    assert "intact" in texts(await chat.say("/audit", user=CAROL))
    # Report buttons are for the private chat only, even with the claim held.
    assert DESCRIPTION in texts(await chat.say("/queue", user=ALICE))
    for payload in ("q:skip:1", "q:sum:1", "q:ask:1"):
        shown = texts(await press_in(chat, MOD_ROOM, payload, user=ALICE))
        assert PRIVATE_ONLY[EN] in shown and DESCRIPTION not in shown, payload
    assert "Send the public summary" in texts(await chat.press("q:sum:1", user=ALICE))
    assert all(DESCRIPTION not in sent.reply.text.plain for sent in chat.sent
               if not sent.chat.private)  # fmt: skip
    await app.close()


async def test_the_moderators_room_reviews_candidates_items(db_url: str) -> None:
    app = await staffed_app(db_url)
    chat = attached(app)
    code = texts(await chat.say("/verify 1", user=ALICE)).splitlines()[1]
    await chat.say(f"/claim {code}", user="cand")
    await chat.say("/update", user="cand")
    await chat.press("upd:statement", user="cand")
    await chat.say("Vote on 15 December!", user="cand")
    item = await say_in(chat, MOD_ROOM, "/queue", user=ALICE)
    assert "From candidate 曾立新 (1)" in texts(item)
    approve = next(p for p in payloads(item) if p.startswith("qc:ok:"))
    assert "Published" in texts(await press_in(chat, MOD_ROOM, approve, user=ALICE))
    await app.close()
