"""Rendering and reading, without a server: HTML, keyboards, splitting, who a command is for,
the settings, and how `candibot run` builds the adapter."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.adapters.telegram import TelegramAdapter
from bot.adapters.telegram.incoming import addressed_to
from bot.adapters.telegram.render import render, split, utf16_len
from bot.adapters.telegram.settings import TelegramSettings
from bot.app import App
from bot.core.markup import Text, bold, link, plain
from bot.core.replies import Button, Reply


def test_every_span_is_escaped_and_styled() -> None:
    text = bold("<b>") + plain(" & ") + link("a<b", 'https://x.org/?a=1&b="2"')
    (message,) = render(Reply.of(text))
    assert message.html == (
        '<b>&lt;b&gt;</b> &amp; <a href="https://x.org/?a=1&amp;b=&quot;2&quot;">a&lt;b</a>'
    )
    assert message.plain == "<b> & a<b"


def test_buttons_become_an_inline_keyboard_with_their_payloads() -> None:
    reply = Reply.of("x", [[Button("A <i>", "a:1"), Button("B", "b:")], [Button("C", "c")]])
    (message,) = render(reply)
    assert message.keyboard is not None
    rows = message.keyboard.inline_keyboard
    assert [[(b.text, b.callback_data) for b in row] for row in rows] == [
        [("A <i>", "a:1"), ("B", "b:")],
        [("C", "c")],
    ]


def test_a_long_text_is_cut_at_paragraphs_and_keeps_its_styles() -> None:
    paragraphs = [bold(f"Title {i}") + plain("\n" + "word " * 150) for i in range(12)]
    text = Text(tuple(span for p in paragraphs for span in (p + "\n\n").spans))
    pieces = split(text, 4096)
    assert len(pieces) == 3
    assert all(utf16_len(piece.plain) <= 4096 for piece in pieces)
    assert all(piece.spans[0].style == "bold" for piece in pieces)
    assert "".join(piece.plain for piece in pieces).count("Title") == 12


def test_a_text_without_breaks_is_cut_hard_and_counts_utf16_units() -> None:
    text = plain("😀" * 3000)  # 6,000 UTF-16 units
    pieces = split(text, 4096)
    assert [utf16_len(p.plain) for p in pieces] == [4096, 1904]
    assert "".join(p.plain for p in pieces) == text.plain


def test_only_the_last_piece_carries_the_buttons() -> None:
    reply = Reply.of("line\n" * 2000, [[Button("Next", "n:1")]])
    messages = render(reply)
    assert len(messages) == 3
    assert [m.keyboard is not None for m in messages] == [False, False, True]


def test_an_empty_reply_sends_nothing() -> None:
    assert render(Reply.of("   ")) == []


@pytest.mark.parametrize(
    ("text", "addressed"),
    [
        ("/start", True),
        ("/start@candibot_bot", True),
        ("/START@CandiBot_Bot args", True),
        ("/start@other_bot", False),
        ("hello", False),
        ("/", False),
        ("/@candibot_bot", False),
    ],
)
def test_which_commands_are_for_the_bot(text: str, addressed: bool) -> None:
    assert addressed_to(text, "candibot_bot") is addressed


def test_a_self_hosted_api_gets_its_file_url_and_bot_suffix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CANDIBOT_TELEGRAM_TOKEN", "1:x")
    monkeypatch.setenv("CANDIBOT_TELEGRAM_BASE_URL", "http://127.0.0.1:8081/")
    settings = TelegramSettings()
    assert settings.base_url == "http://127.0.0.1:8081/bot"
    assert settings.files_url == "http://127.0.0.1:8081/file/bot"
    assert settings.webhook_url is None


def test_webhook_mode_needs_a_well_formed_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANDIBOT_TELEGRAM_TOKEN", "42:TOKEN-NEVER-SHOWN")
    monkeypatch.setenv("CANDIBOT_TELEGRAM_WEBHOOK_URL", "https://bot.example.org/tg/hook")
    with pytest.raises(ValueError, match="WEBHOOK_SECRET is required") as refused:
        TelegramSettings()
    assert "TOKEN-NEVER-SHOWN" not in str(refused.value)
    monkeypatch.setenv("CANDIBOT_TELEGRAM_WEBHOOK_SECRET", "not allowed!")
    with pytest.raises(ValueError, match="webhook secret"):
        TelegramSettings()
    monkeypatch.setenv("CANDIBOT_TELEGRAM_WEBHOOK_SECRET", "ok_secret-1")
    assert TelegramSettings().webhook_path == "/tg/hook"


async def test_candibot_run_starts_telegram_only_with_a_token(
    app: App, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from bot.cli.run import adapter_factories

    monkeypatch.setenv("CANDIBOT_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.delenv("CANDIBOT_TELEGRAM_TOKEN", raising=False)

    def telegram() -> list[TelegramAdapter]:
        built = (factory(app) for factory in adapter_factories())
        return [adapter for adapter in built if isinstance(adapter, TelegramAdapter)]

    assert telegram() == []
    monkeypatch.setenv("CANDIBOT_TELEGRAM_TOKEN", "1:x")
    monkeypatch.setenv("CANDIBOT_MODERATION_ROOM", "telegram:-100200300")
    (adapter,) = telegram()
    assert adapter.open_chats == frozenset({-100200300})
    assert adapter.menus["en"][0] == ("start", "what this bot does")
    assert adapter.menus["zh"][0] == ("start", "这个机器人能做什么")
    assert adapter.menus[None] == adapter.menus["zh"]
