"""The Matrix adapter: a sync loop on matrix-nio, end to end encrypted where the room is.

One loop: sync, share and fetch keys, hand the sync's events to the core in
timeline order, then store the sync token (``App.cursors``, "matrix"/"since").
A crash before the token is stored makes the homeserver send those events
again, and the core's record of handled event ids turns them into no-ops.

Events that cannot be decrypted yet wait for their room key (it often arrives
a sync later), and the room's later events wait behind them so that a
conversation keeps its order; the token is not stored while any wait. The bot
ignores its own events and whatever a room said before the bot was invited, and
on its very first start (no token yet) it answers nothing from the past.

Network errors, a homeserver restart and exhausted rate-limit retries all end
in the same place: back off (up to ``max_backoff_seconds``) and sync again from
the last token.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import aiohttp
from nio import (
    EncryptionError,
    JoinResponse,
    LocalProtocolError,
    MegolmEvent,
    MemoryDownloadResponse,
    MessageDirection,
    RoomGetEventResponse,
    RoomMessagesResponse,
    RoomSendResponse,
    SyncResponse,
    UploadResponse,
)

from bot.adapters.base import Adapter, Capabilities, EventSink, Undeliverable, failure_kind
from bot.adapters.matrix import membership, notices
from bot.adapters.matrix.choices import Choices
from bot.adapters.matrix.incoming import (
    MAX_IMAGE_BYTES,
    Incoming,
    Media,
    open_media,
    read,
    text_event,
)
from bot.adapters.matrix.logs import quiet_nio
from bot.adapters.matrix.refusals import SendFailed, refusal, unknown_room
from bot.adapters.matrix.render import MAX_TEXT_CHARS, Options, choose, notice, options_of, render
from bot.adapters.matrix.session import new_client, sign_in
from bot.adapters.matrix.settings import MatrixSettings
from bot.core.events import (
    ButtonAction,
    ChatRef,
    Command,
    Event,
    PhotoMessage,
    SenderRef,
    UnsupportedMessage,
)
from bot.core.markup import Text
from bot.core.ports import CursorStore
from bot.core.replies import Reply

log = logging.getLogger(__name__)

PLATFORM = "matrix"
CURSOR = "since"
#: Failures after which the loop backs off and syncs again from the stored token.
TRANSIENT: tuple[type[BaseException], ...] = (aiohttp.ClientError, TimeoutError, OSError)
#: Commands before which an unencrypted room gets a warning.
WARN_UNENCRYPTED = frozenset({"report", "status"})
#: No presence, typing or read receipts: the bot needs none and they only cost.
SYNC_FILTER: dict[str, Any] = {
    "presence": {"not_types": ["*"]},
    "account_data": {"not_types": ["*"]},
    "room": {
        "ephemeral": {"not_types": ["*"]},
        "account_data": {"not_types": ["*"]},
        "timeline": {"limit": 50},
    },
}
#: At most this many events of one room are fetched to fill a gap in a sync.
MAX_BACKFILL = 1000
#: How a JPEG begins (a notice photo, as storage.images re-encodes it); charts are PNGs.
JPEG = b"\xff\xd8\xff"


class SyncFailed(RuntimeError):
    """The homeserver answered a sync with an error."""


RETRYABLE: tuple[type[BaseException], ...] = (*TRANSIENT, SendFailed, SyncFailed)


@dataclass(frozen=True, slots=True)
class _Waiting:
    event: Any
    since: float


class Backoff:
    """Doubling waits from ``first`` up to ``limit`` seconds, cut short by ``stop``."""

    def __init__(self, limit: float, first: float = 0.5) -> None:
        self._first, self._limit, self._next = first, limit, first

    def reset(self) -> None:
        self._next = self._first

    async def wait(self, stop: asyncio.Event) -> None:
        delay, self._next = self._next, min(self._next * 2, self._limit)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)


class MatrixAdapter(Adapter):
    platform = PLATFORM
    capabilities = Capabilities(
        inline_buttons=False, rich_text=True, photos=True, max_text_chars=MAX_TEXT_CHARS
    )

    def __init__(self, settings: MatrixSettings, cursors: CursorStore) -> None:
        if not (settings.homeserver and settings.user):
            raise ValueError("CANDIBOT_MATRIX_HOMESERVER and CANDIBOT_MATRIX_USER are needed")
        self._settings = settings
        self._cursors = cursors
        self._me: str = settings.user
        self._client: Any = new_client(settings)
        self._policy = membership.Policy(
            settings.user, settings.admin_ids, settings.moderation_room_id
        )
        self._choices = Choices()
        self._waiting: dict[str, deque[_Waiting]] = {}
        self._joined_on: dict[str, membership.Invite] = {}
        self._stopping = asyncio.Event()
        self._sink: EventSink | None = None
        #: The last sync worked (``/healthz``).
        self._synced = False

    # The seam -----------------------------------------------------------

    async def run(self, sink: EventSink) -> None:
        self._sink = sink
        quiet_nio()
        backoff = Backoff(self._settings.max_backoff_seconds)
        try:
            if not await self._sign_in(backoff):
                return
            await self._sync_loop(backoff)
        finally:
            await self._client.close()  # closes HTTP only: never log out

    async def stop(self) -> None:
        self._stopping.set()

    def connected(self) -> bool:
        return self._synced and not self._stopping.is_set()

    async def send(self, chat: ChatRef, reply: Reply) -> str | None:
        event_id = None
        try:
            if reply.image is not None:
                await self._send_image(chat.id, reply.image)
            for message in render(reply):
                event_id = await self._send_content(chat.id, message.content())
        except Exception as exc:
            self.metrics.send_failed(PLATFORM, failure_kind(exc))
            raise
        return event_id

    # Signing in and syncing ---------------------------------------------

    async def _sign_in(self, backoff: Backoff) -> bool:
        while not self._stopping.is_set():
            try:
                await sign_in(self._client, self._settings)
                return True
            except TRANSIENT as exc:
                log.warning("Matrix homeserver unreachable at start (%s)", type(exc).__name__)
                await backoff.wait(self._stopping)
        return False

    async def _sync_loop(self, backoff: Backoff) -> None:
        since = await self._cursors.load(PLATFORM, CURSOR)
        history, full_state = since is None, since is not None
        while not self._stopping.is_set():
            try:
                response = await self._sync(since, full_state)
                if response is None:
                    return
                await self._keep_keys()
                if not await self._handle_sync(response, since, history):
                    return
                if not self._waiting:
                    await self._cursors.save(PLATFORM, CURSOR, response.next_batch)
                since, history, full_state = response.next_batch, False, False
                self._synced = True
                backoff.reset()
            except RETRYABLE as exc:
                self._synced = False
                log.warning("Matrix sync interrupted (%s); retrying", type(exc).__name__)
                await backoff.wait(self._stopping)

    async def _sync(self, since: str | None, full_state: bool) -> Any:
        """One sync; None when ``stop()`` came first (the request is abandoned)."""
        timeout = 0 if full_state else self._settings.sync_timeout_ms
        request = asyncio.ensure_future(
            self._client.sync(
                timeout=timeout,
                sync_filter=SYNC_FILTER,
                since=since,
                full_state=full_state or None,
            )
        )
        stopped = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({request, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (request, stopped):
                if not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
        if request.cancelled():
            return None
        response = request.result()
        if not isinstance(response, SyncResponse):
            if response.status_code == "M_UNKNOWN_TOKEN":
                await sign_in(self._client, self._settings)
            raise SyncFailed(str(response.status_code))
        return response

    async def _keep_keys(self) -> None:
        """What ``sync_forever`` does between syncs: to-device messages and key upkeep."""
        client = self._client
        if client.outgoing_to_device_messages:
            await client.send_to_device_messages()
        if client.should_upload_keys:
            await client.keys_upload()
        if client.should_query_keys:
            await client.keys_query()
        if client.should_claim_keys:
            await client.keys_claim(client.get_users_for_key_claiming())

    async def _handle_sync(self, response: Any, since: str | None, history: bool) -> bool:
        """Hands the sync's events to the core; False if ``stop()`` interrupted."""
        for room_id, info in response.rooms.invite.items():
            await self._invited(room_id, [_stripped(event) for event in info.invite_state])
        for room_id, info in response.rooms.join.items():
            if self._stopping.is_set():
                return False
            if history:
                continue  # the first start answers nothing from before it
            timeline = info.timeline
            events = list(timeline.events)
            if timeline.limited and since:
                events = await self._backfill(room_id, timeline.prev_batch, since) + events
            for event in _since_own_join(self._me, events):
                if self._stopping.is_set():
                    return False
                await self._room_event(room_id, event, timeline.prev_batch)
        for room_id in response.rooms.leave:
            self._choices.forget(room_id)
        await self._retry_waiting()
        await self._tidy_rooms(response.rooms.join)
        return True

    async def _backfill(self, room_id: str, start: str, until: str) -> list[Any]:
        """The events a limited timeline left out, oldest first."""
        events: list[Any] = []
        token = start
        while len(events) < MAX_BACKFILL:
            page = await self._client.room_messages(
                room_id, start=token, end=until, direction=MessageDirection.back, limit=100
            )
            if not isinstance(page, RoomMessagesResponse) or not page.chunk:
                break
            events += page.chunk
            if not page.end or page.end == token:
                break
            token = page.end
        return events[::-1]

    # Room events --------------------------------------------------------

    async def _room_event(self, room_id: str, event: Any, prev_batch: str | None) -> None:
        waiting = self._waiting.get(room_id)
        if waiting is not None:
            waiting.append(_Waiting(event, time.monotonic()))
        elif not await self._deliver(room_id, event, prev_batch):
            self._waiting[room_id] = deque([_Waiting(event, time.monotonic())])

    async def _retry_waiting(self) -> None:
        """Events whose room key has come, in order; the ones that waited too long are
        answered with a request to send them again."""
        for room_id in list(self._waiting):
            queue = self._waiting[room_id]
            while queue:
                head = queue[0]
                if await self._deliver(room_id, head.event, None):
                    queue.popleft()
                elif time.monotonic() - head.since > self._settings.key_wait_seconds:
                    queue.popleft()
                    log.warning("dropped a Matrix event whose room key never came")
                    await self._notice(room_id, notices.unreadable())
                else:
                    break
            if not queue:
                del self._waiting[room_id]

    async def _deliver(self, room_id: str, event: Any, prev_batch: str | None) -> bool:
        """Hands one event to the core; False if it cannot be decrypted yet."""
        if isinstance(event, MegolmEvent):
            event = self._decrypt(room_id, event)
            if event is None:
                return False
        source: dict[str, Any] = event.source
        sender = source.get("sender")
        if sender == self._me:
            if source.get("type") == "m.room.message":
                options = options_of(source.get("content") or {})
                if options is not None:
                    self._choices.record(room_id, source.get("event_id"), options)
            return True
        room = self._client.rooms.get(room_id)
        event_id = source.get("event_id")
        if room is None or not isinstance(sender, str) or not isinstance(event_id, str):
            return True
        incoming = read(source)
        if incoming.kind == "ignore":
            return True
        chat = ChatRef(PLATFORM, room_id, private=await self._is_direct(room, sender))
        core = await self._core_event(
            room, incoming, chat, SenderRef(PLATFORM, sender), event_id, prev_batch
        )
        if core is not None:
            assert self._sink is not None
            try:
                await self._sink(core)
            except Undeliverable as refused:  # the room is gone for us: nobody to answer
                log.info("a reply was dropped: %s", refused.reason)
        return True

    def _decrypt(self, room_id: str, event: Any) -> Any:
        event.room_id = room_id
        try:
            return self._client.decrypt_event(event)
        except EncryptionError:
            return None

    async def _core_event(
        self,
        room: Any,
        incoming: Incoming,
        chat: ChatRef,
        sender: SenderRef,
        event_id: str,
        prev_batch: str | None,
    ) -> Event | None:
        if incoming.kind == "text":
            options = await self._latest_options(chat.id, prev_batch)
            core = text_event(incoming.text, options, chat=chat, sender=sender, event_id=event_id)
            if isinstance(core, Command) and core.name in WARN_UNENCRYPTED and not room.encrypted:
                await self._notice(chat.id, notices.unencrypted())
            return core
        if incoming.kind == "reaction":
            option = choose(incoming.text, await self._options_of(chat.id, incoming.reacts_to))
            if option is None:
                return None
            return ButtonAction(
                chat=chat, sender=sender, language=None, event_id=event_id, payload=option.payload
            )
        if incoming.kind == "image" and incoming.media is not None:
            image = await self._fetch(incoming.media)
            if image is None:
                await self._notice(chat.id, notices.unreadable())
                return None
            return PhotoMessage(
                chat=chat, sender=sender, language=None, event_id=event_id, image=image
            )
        return UnsupportedMessage(
            chat=chat, sender=sender, language=None, event_id=event_id, kind=incoming.unsupported
        )

    async def _is_direct(self, room: Any, sender: str) -> bool:
        if not room.members_synced and len(room.users) < 2:
            await self._client.joined_members(room.room_id)
        return membership.is_direct(self._me, sender, room.users)

    # Options ------------------------------------------------------------

    async def _latest_options(self, room_id: str, prev_batch: str | None) -> Options:
        """The options of our latest message before this point of the timeline; read
        back from the room once after a restart."""
        known = self._choices.latest(room_id)
        if known is not None:
            return known
        options: Options = ()
        event_id = None
        if prev_batch:
            page = await self._client.room_messages(
                room_id,
                start=prev_batch,
                direction=MessageDirection.back,
                limit=20,
                message_filter={"senders": [self._me]},
            )
            if isinstance(page, RoomMessagesResponse):
                for event in page.chunk:
                    found = options_of(_content(event)) if _is_message(event) else None
                    if found is not None:
                        options, event_id = found, event.source.get("event_id")
                        break
        self._choices.record(room_id, event_id, options)
        return options

    async def _options_of(self, room_id: str, event_id: str) -> Options:
        known = self._choices.of_message(event_id)
        if known is not None:
            return known
        response = await self._client.room_get_event(room_id, event_id)
        if not isinstance(response, RoomGetEventResponse):
            return ()
        event = response.event
        if isinstance(event, MegolmEvent):
            event = self._decrypt(room_id, event)
        if event is None or event.source.get("sender") != self._me or not _is_message(event):
            return ()
        return options_of(_content(event)) or ()

    # Media --------------------------------------------------------------

    async def _fetch(self, media: Media) -> bytes | None:
        if media.size is not None and media.size > MAX_IMAGE_BYTES:
            return None
        response = await self._client.download(mxc=media.url)
        if not isinstance(response, MemoryDownloadResponse):
            log.warning("fetching a Matrix image failed")
            return None
        data = bytes(response.body)
        if len(data) > MAX_IMAGE_BYTES:
            return None
        try:
            return open_media(data, media)
        except ValueError:
            log.warning("a Matrix image could not be decrypted")
            return None

    # Sending ------------------------------------------------------------

    async def _notice(self, room_id: str, text: Text) -> None:
        try:
            await self._send_content(room_id, notice(text))
        except Undeliverable as refused:
            log.info("a notice was dropped: %s", refused.reason)

    async def _send_image(self, room_id: str, data: bytes) -> str:
        """Uploads a PNG (a chart) or a JPEG (a notice photo), encrypted as an attachment
        when the room is, and posts it."""
        room = self._client.rooms.get(room_id)
        encrypted = bool(room is not None and room.encrypted)
        mimetype, name = (
            ("image/jpeg", "photo.jpg") if data[:3] == JPEG else ("image/png", "chart.png")
        )
        response, keys = await self._client.upload(
            io.BytesIO(data), content_type=mimetype, filename=name,
            encrypt=encrypted, filesize=len(data),
        )  # fmt: skip
        if not isinstance(response, UploadResponse):
            raise SendFailed("upload")
        content: dict[str, Any] = {
            "msgtype": "m.image", "body": name,
            "info": {"mimetype": mimetype, "size": len(data)},
        }  # fmt: skip
        if encrypted and keys is not None:
            content["file"] = {**keys, "url": response.content_uri}
        else:
            content["url"] = response.content_uri
        return await self._send_content(room_id, content)

    async def _send_content(self, room_id: str, content: dict[str, Any]) -> str:
        """Sends into ``room_id``, encrypted for every device of its members if the room is
        encrypted (the trust decision: docs/MATRIX.md). A refusal for good raises
        ``Undeliverable``, anything that may pass ``SendFailed`` (``refusals``)."""
        client = self._client
        room = client.rooms.get(room_id)
        if room is not None and room.encrypted and client.should_query_keys:
            await client.keys_query()
        try:
            response = await client.room_send(
                room_id, "m.room.message", content, ignore_unverified_devices=True
            )
        except LocalProtocolError as exc:  # not signed in yet, or a room nio does not know
            if room is None:
                raise await unknown_room(client, room_id) from None
            raise SendFailed(type(exc).__name__) from None
        if not isinstance(response, RoomSendResponse):
            raise await refusal(client, room_id, response.status_code)
        return str(response.event_id)

    # Membership ---------------------------------------------------------

    async def _invited(self, room_id: str, invite_state: list[dict[str, Any]]) -> None:
        invite = membership.read_invite(self._me, invite_state)
        if self._policy.accepts(room_id, invite):
            if isinstance(await self._client.join(room_id), JoinResponse):
                self._joined_on[room_id] = invite
            else:
                log.warning("joining a Matrix room failed")
        else:
            log.info("declined an invitation to a group room")
            await self._client.room_leave(room_id)

    async def _tidy_rooms(self, room_ids: Any) -> None:
        """Leaves rooms nobody else is in, and group rooms joined on a 'direct' invite
        from someone who is not an admin."""
        for room_id in list(room_ids):
            room = self._client.rooms.get(room_id)
            if room is None:
                continue
            others = membership.others(self._me, room.users)
            invite = self._joined_on.pop(room_id, None)
            alone = not others
            crowded = len(others) > 1 and not self._policy.trusted_group(room_id, invite)
            if alone or crowded:
                log.info("leaving a Matrix room (%s)", "empty" if alone else "not a direct chat")
                self._choices.forget(room_id)
                await self._client.room_leave(room_id)
                with contextlib.suppress(*TRANSIENT):
                    await self._client.room_forget(room_id)


def _since_own_join(me: str, events: list[Any]) -> list[Any]:
    """The events meant for the bot: those after it joined, or after the invitation it
    joined on (a new direct chat's first message often comes before the bot's join).
    What a room said before that is not for the bot."""
    for index in range(len(events) - 1, -1, -1):
        if membership.own_join(me, events[index].source):
            start = index
            for before in range(index - 1, -1, -1):
                source = events[before].source
                if source.get("type") == "m.room.member" and source.get("state_key") == me:
                    start = before if membership.own_invite(me, source) else index
                    break
            return events[start + 1 :]
    return events


def _stripped(event: Any) -> dict[str, Any]:
    """An invite's state event as JSON (nio moves a member event's content out of ``source``)."""
    content = getattr(event, "content", None)
    source: dict[str, Any] = dict(event.source)
    if isinstance(content, dict):
        source["content"] = content
    return source


def _content(event: Any) -> dict[str, Any]:
    content = event.source.get("content")
    return content if isinstance(content, dict) else {}


def _is_message(event: Any) -> bool:
    return bool(event.source.get("type") == "m.room.message")
