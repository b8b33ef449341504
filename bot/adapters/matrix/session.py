"""Signing in: the same device, its keys and one access token across restarts.

The first start logs in with the password and the fixed device id and keeps
the access token in ``<store>/session.json`` (mode 0600), beside nio's crypto
store. Later starts restore that session; if the homeserver no longer accepts
the token, the bot logs in again with the same device id, which keeps the
device and its keys. The bot never logs out: that would delete the device and
its keys, and every room would have to share new ones.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nio import AsyncClient, AsyncClientConfig, KeysUploadError, LoginResponse, WhoamiResponse

from bot.adapters.matrix.settings import MatrixSettings

SESSION_FILE = "session.json"


class SignInFailed(RuntimeError):
    """The homeserver refused the bot's credentials, or none were given."""


@dataclass(frozen=True, slots=True)
class Saved:
    user_id: str
    device_id: str
    access_token: str


def new_client(settings: MatrixSettings) -> Any:
    """An ``AsyncClient`` with a persistent crypto store and bounded retries.

    nio retries a 429 (``M_LIMIT_EXCEEDED``) after the server's ``retry_after_ms``
    at most ``max_limit_exceeded`` times and a network error ``max_timeouts``
    times, then gives up; the adapter's own loop backs off and tries again.
    """
    assert settings.homeserver and settings.user
    store = Path(settings.store)
    store.mkdir(mode=0o700, parents=True, exist_ok=True)
    passphrase = settings.store_passphrase
    config = AsyncClientConfig(
        encryption_enabled=True,
        # nio's own default when none is set, so that a store made without one still opens.
        pickle_key=passphrase.get_secret_value() if passphrase else "DEFAULT_KEY",
        store_sync_tokens=False,  # the sync token lives in the database, with the events
        max_limit_exceeded=5,
        max_timeouts=2,
        request_timeout=60,
    )
    return AsyncClient(
        settings.homeserver.rstrip("/"),
        settings.user,
        device_id=settings.device_id,
        store_path=str(store),
        config=config,
    )


def load(store: Path, user_id: str) -> Saved | None:
    path = store / SESSION_FILE
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    if data.get("user_id") != user_id:
        return None
    return Saved(str(data["user_id"]), str(data["device_id"]), str(data["access_token"]))


def save(store: Path, session: Saved) -> None:
    path = store / SESSION_FILE
    temporary = path.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as fh:
        json.dump(
            {
                "user_id": session.user_id,
                "device_id": session.device_id,
                "access_token": session.access_token,
            },
            fh,
        )
    temporary.replace(path)


async def sign_in(client: Any, settings: MatrixSettings) -> None:
    """Restore or create the session, then upload the device's keys if the server lacks them.

    Uploading right away matters: until the keys are on the server, nobody can
    start an encrypted session with the bot, and the first message fails to decrypt.
    """
    assert settings.user
    store = Path(settings.store)
    saved = load(store, settings.user)
    if saved is None or not await _restored(client, saved):
        await _fresh_session(client, settings, saved)
    if client.should_upload_keys:
        response = await client.keys_upload()
        if isinstance(response, KeysUploadError):
            raise SignInFailed(f"uploading the device keys failed: {response.status_code}")


async def _restored(client: Any, saved: Saved) -> bool:
    client.restore_login(saved.user_id, saved.device_id, saved.access_token)
    response = await client.whoami()
    return isinstance(response, WhoamiResponse) or response.status_code != "M_UNKNOWN_TOKEN"


async def _fresh_session(client: Any, settings: MatrixSettings, saved: Saved | None) -> None:
    assert settings.user
    if settings.access_token is not None:
        token = settings.access_token.get_secret_value()
        client.user_id, client.access_token = settings.user, token
        response = await client.whoami()
        if not isinstance(response, WhoamiResponse):
            raise SignInFailed(f"the access token was refused: {response.status_code}")
        client.restore_login(settings.user, response.device_id or settings.device_id, token)
    elif settings.password is not None:
        client.user_id = settings.user
        client.device_id = saved.device_id if saved else settings.device_id
        response = await client.login(settings.password.get_secret_value(), device_name="candibot")
        if not isinstance(response, LoginResponse):
            raise SignInFailed(f"the homeserver refused the login: {response.status_code}")
    else:
        raise SignInFailed("set CANDIBOT_MATRIX_PASSWORD or CANDIBOT_MATRIX_ACCESS_TOKEN")
    save(Path(settings.store), Saved(settings.user, client.device_id, client.access_token))
