"""Keyed pseudonyms for users, conversations and events.

Storage knows a user only as HMAC-SHA256(key, platform, user id). The key lives
outside the database (a file or the environment), so a copy of the database
alone cannot be joined back to platform accounts. Nothing tied to a report is
derived from it: that needs keys that die (``bot.core.ephemeral``).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from bot.core.events import ChatRef, SenderRef


@dataclass(frozen=True, slots=True)
class Identity:
    key: bytes

    def __post_init__(self) -> None:
        if len(self.key) < 32:
            raise ValueError("the identity key must be at least 32 bytes")

    def _digest(self, *parts: str) -> str:
        message = "\x1f".join(parts).encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()

    def user_key(self, sender: SenderRef) -> str:
        return self._digest("user", sender.platform, sender.id)

    def conversation_key(self, chat: ChatRef, sender: SenderRef) -> str:
        return self._digest("conversation", chat.platform, chat.id, sender.id)

    def event_key(self, platform: str, event_id: str) -> str:
        return self._digest("event", platform, event_id)

    def reply_seal(self, chat: ChatRef, sender: SenderRef, event_id: str) -> bytes:
        """The key that seals an event's replies until they are sent: the database never
        holds the ids it is made from, so only the event delivered again opens them."""
        return bytes.fromhex(self._digest("reply", chat.platform, chat.id, sender.id, event_id))
