"""Settings come from the environment and an optional TOML file; keys never from the repo."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from bot.config import Settings, decode_key, load_identity_key


def test_environment_beats_the_toml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "candibot.toml"
    config.write_text('database_url = "sqlite:///from-toml.sqlite"\nstate_ttl_hours = 3\n')
    monkeypatch.setenv("CANDIBOT_CONFIG", str(config))
    monkeypatch.setenv("CANDIBOT_DATABASE_URL", "sqlite:///from-env.sqlite")
    settings = Settings()
    assert settings.database_url == "sqlite:///from-env.sqlite"
    assert settings.state_ttl_hours == 3


def test_identity_key_file_is_created_private_and_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CANDIBOT_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("CANDIBOT_IDENTITY_KEY_FILE", str(tmp_path / "keys" / "identity.key"))
    monkeypatch.delenv("CANDIBOT_IDENTITY_KEY", raising=False)
    settings = Settings()
    key = load_identity_key(settings)
    path = tmp_path / "keys" / "identity.key"
    assert len(key) == 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_identity_key(settings) == key


def test_identity_key_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CANDIBOT_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("CANDIBOT_IDENTITY_KEY", "ab" * 32)
    assert load_identity_key(Settings()) == bytes([0xAB]) * 32
    assert "abab" not in repr(Settings()), "the key is a secret and is not printed"


def test_keys_are_hex_or_base64() -> None:
    assert decode_key("00" * 32) == bytes(32)
    assert decode_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=") == bytes(32)
    with pytest.raises(ValueError):
        decode_key("not a key!")
