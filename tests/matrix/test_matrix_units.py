"""The Matrix adapter's pieces without a homeserver: rendering, reading events,
invitations, settings and nio's logs."""

from __future__ import annotations

import logging

import pytest

from bot.adapters.matrix import MatrixSettings, from_environment
from bot.adapters.matrix.incoming import Media, open_media, read, strip_reply_fallback
from bot.adapters.matrix.logs import ScrubMatrixIds
from bot.adapters.matrix.membership import Invite, Policy, is_direct, own_join, read_invite
from bot.adapters.matrix.render import KEYCAPS, Option, choose, options_of, render, split
from bot.core.markup import bold, link, plain
from bot.core.replies import Button, Reply

BOT, ALICE, BOB = "@bot:example.org", "@alice:example.org", "@bob:example.org"


def test_reply_renders_escaped_html_and_a_plain_body_with_numbered_options() -> None:
    reply = Reply.of(
        bold("<b>Zeng</b> & co") + plain("\nsee ") + link("site", "https://x.org/?a=1&b=<2>"),
        [[Button("<i>yes</i>", "a:1"), Button("no", "a:2")]],
    )
    [message] = render(reply)
    content = message.content()
    assert (
        content["body"]
        == "<b>Zeng</b> & co\nsee site <https://x.org/?a=1&b=<2>>\n\n1) <i>yes</i>\n2) no"
    )
    assert content["formatted_body"] == (
        "<b>&lt;b&gt;Zeng&lt;/b&gt; &amp; co</b><br>see "
        '<a href="https://x.org/?a=1&amp;b=&lt;2&gt;">site</a>'
        "<ol><li>&lt;i&gt;yes&lt;/i&gt;</li><li>no</li></ol>"
    )
    assert content["format"] == "org.matrix.custom.html"
    assert options_of(content) == (Option("<i>yes</i>", "a:1"), Option("no", "a:2"))


def test_a_reply_without_options_records_that_it_has_none() -> None:
    [message] = render(Reply.of("hello"))
    assert options_of(message.content()) == ()
    assert options_of({"body": "someone else's"}) is None


def test_long_text_is_split_at_line_ends_and_options_go_last() -> None:
    text = plain("a" * 8 + "\n" + "b" * 8 + "\n") + bold("c" * 25)
    pieces = split(text, 10)
    assert [p.plain for p in pieces] == ["aaaaaaaa\n", "bbbbbbbb\n", "c" * 10, "c" * 10, "c" * 5]
    assert all(len(p.plain) <= 10 for p in pieces)
    messages = render(Reply.of(text, [[Button("ok", "x")]]), limit=10)
    assert [m.options for m in messages[:-1]] == [()] * 4
    assert messages[-1].options == (Option("ok", "x"),)


@pytest.mark.parametrize(
    ("answer", "payload"),
    [("1", "a"), (" 2 ", "b"), ("English", "b"), ("english", "b"), ("1️⃣", "a"), ("2⃣", "b")],
)
def test_an_answer_picks_an_option_by_number_label_or_keycap(answer: str, payload: str) -> None:
    options = (Option("中文", "a"), Option("English", "b"))
    picked = choose(answer, options)
    assert picked is not None and picked.payload == payload


@pytest.mark.parametrize("answer", ["0", "3", "３", "Englis", KEYCAPS[2], ""])
def test_other_answers_pick_nothing(answer: str) -> None:
    assert choose(answer, (Option("中文", "a"), Option("English", "b"))) is None


def _message(content: dict[str, object], kind: str = "m.room.message") -> dict[str, object]:
    return {"type": kind, "sender": ALICE, "event_id": "$e", "content": content}


def test_events_are_read_by_kind() -> None:
    assert read(_message({"msgtype": "m.text", "body": "/start"})).text == "/start"
    assert read(_message({"msgtype": "m.notice", "body": "beep"})).kind == "ignore"
    edit = {"msgtype": "m.text", "body": "* x", "m.relates_to": {"rel_type": "m.replace"}}
    assert read(_message(edit)).kind == "ignore"
    assert read(_message({"msgtype": "m.file", "body": "a.pdf"})).unsupported == "document"
    assert read(_message({"msgtype": "m.audio", "body": "v.ogg"})).unsupported == "voice"
    assert read(_message({}, "m.sticker")).unsupported == "sticker"
    image = read(_message({"msgtype": "m.image", "body": "a.jpg", "url": "mxc://s/m"}))
    assert image.kind == "image" and image.media == Media("mxc://s/m")
    relation = {"rel_type": "m.annotation", "event_id": "$m", "key": "1️⃣"}
    reaction = read(_message({"m.relates_to": relation}, "m.reaction"))
    assert (reaction.kind, reaction.text, reaction.reacts_to) == ("reaction", "1️⃣", "$m")


def test_a_replys_quoted_fallback_is_dropped() -> None:
    body = "> <@bot:example.org> Choose your language:\n> 1) 中文\n\n2"
    assert strip_reply_fallback(body) == "2"
    content = {"msgtype": "m.text", "body": body, "m.relates_to": {"m.in_reply_to": {}}}
    assert read(_message(content)).text == "2"


def test_an_encrypted_image_with_a_wrong_hash_is_refused() -> None:
    media = Media("mxc://s/m", key="AAAA", iv="AAAAAAAAAAAAAAAAAAAAAA", sha256="AAAA")
    with pytest.raises(ValueError):
        open_media(b"ciphertext", media)
    assert open_media(b"plain", Media("mxc://s/m")) == b"plain"


def test_invitations_to_direct_chats_admins_rooms_and_the_moderators_room_are_taken() -> None:
    policy = Policy(BOT, frozenset({BOB}), "!mods:example.org")
    assert policy.accepts("!dm:example.org", Invite(ALICE, direct=True))
    assert policy.accepts("!any:example.org", Invite(BOB, direct=False))
    assert policy.accepts("!mods:example.org", Invite(ALICE, direct=False))
    assert not policy.accepts("!group:example.org", Invite(ALICE, direct=False))
    assert not policy.trusted_group("!group:example.org", Invite(ALICE, direct=True))
    assert policy.trusted_group("!group:example.org", Invite(BOB, direct=True))


def test_the_invite_is_read_from_the_bots_own_member_event() -> None:
    state = [
        {"type": "m.room.member", "state_key": ALICE, "sender": ALICE, "content": {}},
        {
            "type": "m.room.member",
            "state_key": BOT,
            "sender": ALICE,
            "content": {"membership": "invite", "is_direct": True},
        },
    ]
    assert read_invite(BOT, state) == Invite(ALICE, direct=True)
    assert read_invite(BOT, state[:1]) == Invite(None, direct=False)


def test_a_direct_chat_is_the_bot_and_the_sender_alone() -> None:
    assert is_direct(BOT, ALICE, [BOT, ALICE])
    assert not is_direct(BOT, ALICE, [BOT, ALICE, BOB])
    assert not is_direct(BOT, ALICE, [BOT, BOB])


def test_only_a_real_join_of_the_bot_counts_as_its_join() -> None:
    join = {"type": "m.room.member", "state_key": BOT, "content": {"membership": "join"}}
    assert own_join(BOT, join)
    renamed = {**join, "unsigned": {"prev_content": {"membership": "join"}}}
    assert not own_join(BOT, renamed)
    assert not own_join(BOT, {**join, "state_key": ALICE})


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANDIBOT_MATRIX_HOMESERVER", "https://matrix.example.org")
    monkeypatch.setenv("CANDIBOT_MATRIX_USER", BOT)
    monkeypatch.setenv("CANDIBOT_MATRIX_PASSWORD", "hunter2")
    monkeypatch.setenv("CANDIBOT_MATRIX_ADMINS", f"{ALICE}, {BOB}")
    monkeypatch.setenv("CANDIBOT_MODERATION_ROOM", "matrix:!mods:example.org")
    settings = MatrixSettings()
    assert settings.configured and settings.device_id == "CANDIBOT"
    assert settings.admin_ids == {ALICE, BOB}
    assert settings.moderation_room_id == "!mods:example.org"
    assert "hunter2" not in repr(settings)


def test_no_homeserver_means_no_matrix_adapter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CANDIBOT_MATRIX_HOMESERVER", raising=False)
    monkeypatch.delenv("CANDIBOT_MATRIX_USER", raising=False)

    class NoCursors:
        async def load(self, platform: str, name: str) -> str | None:
            return None

        async def save(self, platform: str, name: str, value: str) -> None:
            return None

    assert from_environment(NoCursors()) is None


def test_nio_log_lines_lose_ids_and_keys() -> None:
    record = logging.LogRecord(
        "nio.crypto.log", logging.WARNING, __file__, 1,
        "Missing session for %s in %s, event %s, key %s",
        (ALICE, "!room:example.org", "$AbCdEfGhIjKlMnOp", "x" * 43), None,
    )  # fmt: skip
    assert ScrubMatrixIds().filter(record)
    message = record.getMessage()
    assert "alice" not in message and "room:" not in message and "AbCd" not in message
    assert "xxxx" not in message and message.startswith("Missing session for [redacted]")
