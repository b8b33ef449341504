"""Telegram updates as core events.

Private chats get everything: text and commands, button presses, photos (fetched
as bytes) and, for any other kind of message, an ``UnsupportedMessage`` the core
answers. In groups the bot takes only commands addressed to it (``/cmd@bot``, or
``/cmd`` with no bot named, as Telegram's convention has it) and presses of its
own buttons, except in chats it is told are open (the moderators' group).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypedDict

from telegram import Chat, Message, PhotoSize, Update
from telegram.constants import MessageAttachmentType

from bot.core.events import (
    ButtonAction,
    ChatRef,
    Event,
    PhotoMessage,
    SenderRef,
    UnsupportedMessage,
    event_from_text,
)

PLATFORM = "telegram"

#: The update kinds the bot asks Telegram for.
ALLOWED_UPDATES = ("message", "callback_query")

#: The largest photo size fetched; the core refuses photos over 10 MB anyway.
MAX_PHOTO_BYTES = 10 * 1024 * 1024

FetchFile = Callable[[str], Awaitable[bytes]]


@dataclass(frozen=True, slots=True)
class Me:
    """What the adapter knows of its own bot, and of chats where every message counts."""

    id: int
    username: str
    open_chats: frozenset[int] = field(default_factory=frozenset)


class _Origin(TypedDict):
    chat: ChatRef
    sender: SenderRef
    language: str | None
    event_id: str


def event_id(me: Me, update_id: int) -> str:
    """Update ids are per bot: scoped by the bot's id, a new bot's cannot pass for old ones."""
    return f"{me.id}:{update_id}"


def lane_of(update: Update) -> str | None:
    """The chat an update belongs to (its events are handled in order), if any."""
    chat = update.effective_chat
    return str(chat.id) if chat is not None else None


async def to_event(update: Update, me: Me, fetch: FetchFile) -> Event | None:
    """The event ``update`` stands for, or None when the bot ignores it."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type == Chat.CHANNEL:
        return None
    base = _Origin(
        chat=ChatRef(PLATFORM, str(chat.id), private=chat.type == Chat.PRIVATE),
        sender=SenderRef(PLATFORM, str(user.id)),
        language=user.language_code,
        event_id=event_id(me, update.update_id),
    )
    everything = chat.type == Chat.PRIVATE or chat.id in me.open_chats
    query = update.callback_query
    if query is not None:
        if query.data is None or not _ours(query.message, me):
            return None
        return ButtonAction(**base, payload=query.data)
    message = update.message
    if message is None:
        return None
    if message.text is not None:
        if not everything and not addressed_to(message.text, me.username):
            return None
        return event_from_text(message.text, **base)
    if not everything:
        return None
    if message.photo:
        photo = _largest(message.photo)
        if photo is None:
            return UnsupportedMessage(**base, kind="photo")
        return PhotoMessage(**base, image=await fetch(photo.file_id), caption=message.caption or "")
    kind = attachment_kind(message)
    return UnsupportedMessage(**base, kind=kind) if kind else None


def addressed_to(text: str, username: str) -> bool:
    """A command for this bot: ``/cmd`` or ``/cmd@username`` (any case)."""
    words = text[1:].split(None, 1) if text.startswith("/") else []
    if not words:
        return False
    name, at, target = words[0].partition("@")
    return bool(name) and (not at or target.lower() == username.lower())


def attachment_kind(message: Message) -> str | None:
    """The kind of attachment ("document", "voice", "sticker"...); None for service
    messages (members joining, a new title...)."""
    for kind in MessageAttachmentType:
        if getattr(message, kind.value, None):
            return str(kind.value)
    return None


def _largest(sizes: tuple[PhotoSize, ...]) -> PhotoSize | None:
    fitting = [s for s in sizes if s.file_size is None or s.file_size <= MAX_PHOTO_BYTES]
    return max(fitting, key=lambda s: s.width * s.height, default=None)


def _ours(message: object, me: Me) -> bool:
    """Whether a pressed button sat on one of this bot's messages (unknown counts as yes)."""
    sender = getattr(message, "from_user", None)
    return sender is None or sender.id == me.id
