"""``CANDIBOT_WEB_*``: the web chat is on only with a listening address, and onion-only
needs the onion's name."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.adapters.web import WebOptions, from_environment
from bot.app import App
from bot.config import Settings


@pytest.fixture(autouse=True)
def no_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CANDIBOT_CONFIG", str(tmp_path / "absent.toml"))


def test_the_web_chat_is_off_without_a_listening_address(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CANDIBOT_WEB_LISTEN", raising=False)
    assert from_environment(app) is None
    monkeypatch.setenv("CANDIBOT_WEB_LISTEN", "127.0.0.1:8095")
    adapter = from_environment(app)
    assert adapter is not None and adapter.options.port == 8095


def test_the_settings_become_the_web_chats_options(monkeypatch: pytest.MonkeyPatch) -> None:
    name = "a" * 56 + ".onion"
    monkeypatch.setenv("CANDIBOT_WEB_LISTEN", "[::1]:8091")
    monkeypatch.setenv("CANDIBOT_WEB_ONION_ONLY", "true")
    monkeypatch.setenv("CANDIBOT_WEB_ONION_NAME", name.upper())
    monkeypatch.setenv("CANDIBOT_WEB_SESSION_MINUTES", "10")
    options = WebOptions.from_settings(Settings())
    assert options == WebOptions(host="::1", port=8091, onion_name=name, session_seconds=600.0)


@pytest.mark.parametrize("listen", ["8090", "localhost", "127.0.0.1:http", "127.0.0.1:70000"])
def test_a_listening_address_without_a_port_is_refused(
    listen: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CANDIBOT_WEB_LISTEN", listen)
    with pytest.raises(ValidationError, match="host:port"):
        Settings()


def test_onion_only_needs_the_onions_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANDIBOT_WEB_ONION_ONLY", "true")
    monkeypatch.setenv("CANDIBOT_WEB_ONION_NAME", "bot.example.org")
    with pytest.raises(ValidationError, match="ONION_NAME"):
        Settings()
