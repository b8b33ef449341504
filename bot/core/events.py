"""What an adapter hands to the core: frozen, platform-neutral events."""

from __future__ import annotations

from dataclasses import dataclass

#: Telegram's limit on callback data; every adapter gets payloads that fit it.
MAX_PAYLOAD_BYTES = 64


@dataclass(frozen=True, slots=True)
class ChatRef:
    """Where a conversation happens. ``id`` is the platform's raw chat id."""

    platform: str
    id: str
    private: bool = True


@dataclass(frozen=True, slots=True)
class SenderRef:
    """Who wrote. ``id`` is the platform's raw user id; storage never sees it raw."""

    platform: str
    id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    chat: ChatRef
    sender: SenderRef
    #: The platform's language hint (e.g. "zh-hans", "en-US"), or None.
    language: str | None
    #: Unique per platform; a redelivered event carries the same id.
    event_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TextMessage(Event):
    text: str
    #: Set by an adapter that had to replace bytes it could not decode.
    undecodable: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class PhotoMessage(Event):
    """A photo, already fetched by the adapter. The core never sees its metadata-laden
    original file name or sender details; handlers re-encode the bytes before storing."""

    image: bytes
    caption: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class UnsupportedMessage(Event):
    """Something the bot does not take: a document, voice, sticker, location..."""

    kind: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Command(Event):
    """``/name args``; ``name`` is lower case without the slash or a ``@bot`` suffix."""

    name: str
    args: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ButtonAction(Event):
    payload: str


def split_command(text: str) -> tuple[str, str] | None:
    """``"/Search@candibot hé péng"`` -> ``("search", "hé péng")``; None if not a command."""
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2:
        return None
    head, _, args = stripped[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    if not name or not all(c.isascii() and (c.isalnum() or c == "_") for c in name):
        return None
    return name, args.strip()


def event_from_text(
    text: str,
    *,
    chat: ChatRef,
    sender: SenderRef,
    language: str | None,
    event_id: str,
    undecodable: bool = False,
) -> TextMessage | Command:
    """The event a line of typed text stands for: a command or a plain message."""
    parsed = None if undecodable else split_command(text)
    if parsed is not None:
        name, args = parsed
        return Command(
            chat=chat, sender=sender, language=language, event_id=event_id, name=name, args=args
        )
    return TextMessage(
        chat=chat,
        sender=sender,
        language=language,
        event_id=event_id,
        text=text,
        undecodable=undecodable,
    )
