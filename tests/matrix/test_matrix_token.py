"""Issue 15, item 8: the bot signs in to Matrix with an access token instead of a
password (``CANDIBOT_MATRIX_ACCESS_TOKEN``): it answers in an encrypted chat on the
token's device, says it is connected (``/healthz``) and keeps the session for its next
start; a token the homeserver does
not know stops the adapter with a line that says so, and never quotes the token."""

from __future__ import annotations

import contextlib
import json
import urllib.request
from pathlib import Path

import pytest

from bot.adapters.matrix import MatrixSettings
from bot.adapters.matrix.session import SignInFailed
from bot.app import App
from tests.matrix.citizen import Citizen
from tests.matrix.conftest import PASSWORD, RunningBot
from tests.matrix.synapse import Synapse


def login_token(synapse: Synapse, user_id: str, device_id: str) -> str:
    """What an operator does once by hand: log in as the bot on its device, keep the token."""
    body = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": user_id},
        "password": PASSWORD,
        "device_id": device_id,
    }
    request = urllib.request.Request(
        f"{synapse.url}/_matrix/client/v3/login",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.load(response)["access_token"])


def token_settings(synapse: Synapse, bot_id: str, token: str, store: Path) -> MatrixSettings:
    return MatrixSettings(
        homeserver=synapse.url, user=bot_id, access_token=token, store=store,
        sync_timeout_ms=5_000, max_backoff_seconds=1.0, key_wait_seconds=10.0,
    )  # fmt: skip


async def test_the_bot_signs_in_with_an_access_token_and_answers(
    synapse: Synapse, bot_id: str, matrix_app: App, citizen: Citizen, tmp_path: Path
) -> None:
    token = login_token(synapse, bot_id, "CANDIBOT")
    store = tmp_path / "bot-store"
    running = RunningBot(matrix_app, token_settings(synapse, bot_id, token, store))
    await running.start()
    try:
        room = await citizen.direct_chat(encrypted=True, timeout=60)
        await citizen.ask(room, "/start", "欢迎使用 candibot。", timeout=60)
        assert running.adapter is not None and running.adapter.connected(), "for /healthz"
    finally:
        with contextlib.suppress(TimeoutError):
            await running.stop()
    session = json.loads((store / "session.json").read_text())
    assert session == {"user_id": bot_id, "device_id": "CANDIBOT", "access_token": token}


async def test_a_token_the_homeserver_does_not_know_stops_the_adapter(
    synapse: Synapse, bot_id: str, matrix_app: App, tmp_path: Path
) -> None:
    forged = "syt_" + "x" * 40
    running = RunningBot(matrix_app, token_settings(synapse, bot_id, forged, tmp_path / "s"))
    await running.start()
    assert running._task is not None
    with pytest.raises(SignInFailed) as refused:
        await running._task
    assert "access token was refused" in str(refused.value)
    assert forged not in str(refused.value)
    assert not (tmp_path / "s" / "session.json").exists()
