"""What a message the homeserver would not take means, for the outbox.

- ``M_FORBIDDEN``: the bot is not in the room (kicked, banned, left) or may not post
  there; either way nothing more will reach that chat, so ``Undeliverable(gone=True)``
  and the chat's subscriptions are forgotten. A room nio does not know at all counts
  the same once the homeserver confirms the bot is not joined to it: right after a
  start, before the first sync has listed the rooms, it is joined and only waits.
- ``M_TOO_LARGE``: the same message will never fit: ``Undeliverable``.
- ``M_LIMIT_EXCEEDED``: nio has already waited the server's ``retry_after_ms`` and
  tried again (``max_limit_exceeded`` times, ``session.new_client``); if the limit
  still holds, the message waits in the outbox like any other failure.
- Anything else (the homeserver down, a network error, an unknown token) may pass:
  ``SendFailed``, and the outbox tries again with a growing pause.

Reasons name no room and no user: they are shown to operators and stored."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from nio import JoinedRoomsResponse, LocalProtocolError

from bot.adapters.base import Undeliverable

log = logging.getLogger(__name__)

NOT_IN_ROOM = "not in the room: kicked, banned or left"
MAY_NOT_POST = "forbidden: may not post in the room"


class SendFailed(RuntimeError):
    """The homeserver did not take a message, for a reason that may pass."""


async def refusal(client: Any, room_id: str, status_code: str | None) -> Exception:
    """The exception for a send the homeserver answered with ``status_code``."""
    if status_code == "M_FORBIDDEN":
        joined = await _joined(client)
        if joined is not None and room_id in joined:
            return Undeliverable(MAY_NOT_POST, gone=True)
        return Undeliverable(NOT_IN_ROOM, gone=True)
    if status_code == "M_TOO_LARGE":
        return Undeliverable("too large for the homeserver")
    return SendFailed(str(status_code))


async def unknown_room(client: Any, room_id: str) -> Exception:
    """The exception for a room nio has no record of: gone if the homeserver says the
    bot is not in it, else (not synced yet, or no answer) one to try again."""
    joined = await _joined(client)
    if joined is not None and room_id not in joined:
        return Undeliverable(NOT_IN_ROOM, gone=True)
    return SendFailed("room not synced yet")


async def _joined(client: Any) -> set[str] | None:
    """The rooms the bot is joined to, as the homeserver has it; None if it cannot say."""
    try:
        response = await client.joined_rooms()
    except (LocalProtocolError, aiohttp.ClientError, TimeoutError, OSError) as exc:
        log.info("could not list the joined Matrix rooms (%s)", type(exc).__name__)
        return None
    if not isinstance(response, JoinedRoomsResponse):
        return None
    return set(response.rooms)
