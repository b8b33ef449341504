"""A citizen on Matrix: an ordinary matrix-nio client with its own device and crypto store.

It syncs in a background task (short polls, keys uploaded, queried and claimed
as ``sync_forever`` would), keeps every message the bot sends, decrypted, and
waits for them with a timeout, so a test never hangs on a dead server.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    LoginResponse,
    MegolmEvent,
    RoomCreateResponse,
    RoomInviteResponse,
    RoomLeaveResponse,
    RoomSendResponse,
    SyncResponse,
    UploadResponse,
)

ENCRYPTION = {
    "type": "m.room.encryption",
    "state_key": "",
    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
}


@dataclass(frozen=True)
class Said:
    """A message of the bot's, as the citizen's client shows it."""

    room_id: str
    event_id: str
    msgtype: str
    body: str
    html: str
    encrypted: bool


class Citizen:
    def __init__(self, homeserver: str, user_id: str, password: str, store: Path) -> None:
        store.mkdir(parents=True, exist_ok=True)
        config = AsyncClientConfig(
            encryption_enabled=True, store_sync_tokens=False, max_timeouts=3, request_timeout=20
        )
        self.client = AsyncClient(homeserver, user_id, store_path=str(store), config=config)
        self.user_id = user_id
        self._password = password
        self.bot_id = ""
        self.heard: list[Said] = []
        self._task: asyncio.Task[None] | None = None
        self._synced = asyncio.Event()
        self._withheld: dict[str, tuple[Any, str]] = {}

    async def start(self, bot_id: str) -> None:
        self.bot_id = bot_id
        response = await self.client.login(self._password, device_name="citizen")
        assert isinstance(response, LoginResponse), response
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        self._task = asyncio.create_task(self._sync_forever())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.client.close()

    async def _sync_forever(self) -> None:
        while True:
            try:
                response = await self.client.sync(timeout=500)
            except (OSError, TimeoutError):
                await asyncio.sleep(0.2)
                continue
            if not isinstance(response, SyncResponse):
                await asyncio.sleep(0.2)
                continue
            await self._keep_keys()
            for room_id, info in response.rooms.join.items():
                for event in info.timeline.events:
                    self._hear(room_id, event)
            self._synced.set()

    async def _keep_keys(self) -> None:
        client = self.client
        with contextlib.suppress(Exception):
            if client.outgoing_to_device_messages:
                await client.send_to_device_messages()
            if client.should_upload_keys:
                await client.keys_upload()
            if client.should_query_keys:
                await client.keys_query()
            if client.should_claim_keys:
                await client.keys_claim(client.get_users_for_key_claiming())

    def _hear(self, room_id: str, event: Any) -> None:
        if isinstance(event, MegolmEvent):
            with contextlib.suppress(Exception):
                event = self.client.decrypt_event(event)
        source = event.source
        if source.get("sender") != self.bot_id or source.get("type") != "m.room.message":
            return
        content = source.get("content", {})
        self.heard.append(
            Said(
                room_id,
                source["event_id"],
                content.get("msgtype", ""),
                content.get("body", ""),
                content.get("formatted_body", ""),
                bool(getattr(event, "decrypted", False)),
            )
        )

    # Rooms ----------------------------------------------------------------

    async def direct_chat(self, *, encrypted: bool, timeout: float = 20) -> str:
        """A new direct chat with the bot; returns once the bot has joined."""
        response = await self.client.room_create(
            is_direct=True,
            invite=[self.bot_id],
            initial_state=[ENCRYPTION] if encrypted else [],
        )
        assert isinstance(response, RoomCreateResponse), response
        room_id = str(response.room_id)
        await self.until(lambda: self._joined(room_id), timeout)
        return room_id

    def _joined(self, room_id: str) -> bool:
        return self.membership(room_id, self.bot_id) == "join"

    def membership(self, room_id: str, user_id: str) -> str | None:
        """ "join", "invite", or None, as this client's view of the room has it."""
        room = self.client.rooms.get(room_id)
        user = room.users.get(user_id) if room else None
        if user is None:
            return None
        return "invite" if user.invited else "join"

    async def group_room(self) -> str:
        """A new room that is not marked direct, with nobody invited yet."""
        response = await self.client.room_create(name="Neighbours")
        assert isinstance(response, RoomCreateResponse), response
        room_id = str(response.room_id)
        await self.until(lambda: room_id in self.client.rooms)
        return room_id

    async def invite(self, room_id: str, user_id: str) -> None:
        response = await self.client.room_invite(room_id, user_id)
        assert isinstance(response, RoomInviteResponse), response
        await self.until(lambda: self.membership(room_id, user_id) is not None)

    async def leave(self, room_id: str) -> None:
        response = await self.client.room_leave(room_id)
        assert isinstance(response, RoomLeaveResponse), response

    # Talking --------------------------------------------------------------

    async def say(self, room_id: str, text: str) -> str:
        content = {"msgtype": "m.text", "body": text}
        return await self._send(room_id, "m.room.message", content)

    async def react(self, room_id: str, event_id: str, key: str) -> str:
        relation = {"rel_type": "m.annotation", "event_id": event_id, "key": key}
        return await self._send(room_id, "m.reaction", {"m.relates_to": relation})

    async def send_image(self, room_id: str, data: bytes, *, encrypted: bool) -> str:
        upload, keys = await self.client.upload(
            io.BytesIO(data),
            content_type="image/jpeg",
            filename="IMG_0001.jpg",
            encrypt=encrypted,
            filesize=len(data),
        )
        assert isinstance(upload, UploadResponse), upload
        content: dict[str, Any] = {
            "msgtype": "m.image",
            "body": "IMG_0001.jpg",
            "info": {"mimetype": "image/jpeg", "size": len(data)},
        }
        if encrypted:
            assert keys is not None
            content["file"] = {**keys, "url": upload.content_uri}
        else:
            content["url"] = upload.content_uri
        return await self._send(room_id, "m.room.message", content)

    async def send_file(self, room_id: str) -> str:
        content = {"msgtype": "m.file", "body": "minutes.pdf", "url": "mxc://candibot.test/x"}
        return await self._send(room_id, "m.room.message", content)

    def withhold_key(self, room_id: str) -> None:
        """Encrypt the next messages with a fresh room key that is not sent to anyone yet."""
        olm = self.client.olm
        olm.create_outbound_group_session(room_id)
        session = olm.outbound_group_sessions[room_id]
        session.shared = True
        self._withheld[room_id] = (session, session.session_key)

    async def deliver_key(self, room_id: str) -> None:
        """Send the withheld room key after all (as it was before its first message), as a
        slow client would."""
        session, first_key = self._withheld.pop(room_id)
        session.shared = False
        olm = self.client.olm
        olm.outbound_group_sessions[room_id] = _AsFirstShared(session, first_key)
        try:
            await self.client.share_group_session(room_id, ignore_unverified_devices=True)
        finally:
            olm.outbound_group_sessions[room_id] = session

    async def _send(self, room_id: str, kind: str, content: dict[str, Any]) -> str:
        response = await self.client.room_send(
            room_id, kind, content, ignore_unverified_devices=True
        )
        assert isinstance(response, RoomSendResponse), response
        return str(response.event_id)

    # Waiting --------------------------------------------------------------

    def mark(self) -> int:
        return len(self.heard)

    async def until(self, condition: Callable[[], bool], timeout: float = 20) -> None:
        async def wait() -> None:
            while not condition():
                self._synced.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._synced.wait(), 0.5)

        await asyncio.wait_for(wait(), timeout)

    async def ask(self, room_id: str, text: str, expect: str, timeout: float = 20) -> str:
        """Says ``text`` and returns what the bot said until a message containing ``expect``."""
        start = self.mark()
        await self.say(room_id, text)
        return await self.heard_until(start, expect, timeout)

    async def heard_until(self, start: int, expect: str, timeout: float = 20) -> str:
        def arrived() -> bool:
            return any(expect in said.body for said in self.heard[start:])

        try:
            await self.until(arrived, timeout)
        except TimeoutError:
            got = "\n---\n".join(said.body for said in self.heard[start:])
            raise AssertionError(f"no reply containing {expect!r}; got:\n{got}") from None
        return "\n".join(said.body for said in self.heard[start:])

    async def quiet(self, seconds: float = 1.5) -> None:
        """Lets any further replies arrive."""
        await asyncio.sleep(seconds)


class _AsFirstShared:
    """An outbound room key that shares its state from before its first message."""

    def __init__(self, session: Any, first_key: str) -> None:
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "session_key", first_key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._session, name, value)


def option_number(body: str, label: str) -> str:
    """The number of the option whose label contains ``label`` in a numbered reply."""
    for line in body.splitlines():
        number, sep, text = line.strip().partition(") ")
        if sep and number.isdigit() and label in text:
            return number
    raise AssertionError(f"no option {label!r} in:\n{body}")
