"""Matrix room events, as decrypted JSON, read into what the core takes.

Works on the event's JSON (``nio.Event.source``), so it is the same for
encrypted and plain rooms. Text is a command or a message, or the answer to the
latest numbered options (by number or label); a keycap reaction answers the
options of the message it reacts to; an ``m.image`` is fetched by the adapter;
other media become ``UnsupportedMessage``. Edits and notices (other bots) are
ignored, and so is the quoted fallback of a reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from nio.crypto import decrypt_attachment

from bot.adapters.matrix.render import Options, choose
from bot.core.events import ButtonAction, ChatRef, Event, SenderRef, event_from_text

Kind = Literal["text", "image", "reaction", "unsupported", "ignore"]

#: msgtypes the bot does not take, by the kind name handed to the core.
UNSUPPORTED = {
    "m.file": "document",
    "m.audio": "voice",
    "m.video": "video",
    "m.location": "location",
}
#: Largest image the adapter fetches; the core refuses anything over 10 MB anyway.
MAX_IMAGE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Media:
    """Where an image is, and for an encrypted one the key to open it."""

    url: str
    key: str | None = None
    iv: str | None = None
    sha256: str | None = None
    size: int | None = None

    @property
    def encrypted(self) -> bool:
        return self.key is not None


@dataclass(frozen=True, slots=True)
class Incoming:
    kind: Kind
    #: The text, or for a reaction its key.
    text: str = ""
    media: Media | None = None
    #: The event a reaction reacts to.
    reacts_to: str = ""
    #: For ``unsupported``: what it was ("document", "sticker", ...).
    unsupported: str = ""


IGNORE = Incoming("ignore")


def read(source: dict[str, Any]) -> Incoming:
    """What a (decrypted) room event asks of the bot."""
    kind, content = source.get("type"), source.get("content")
    if not isinstance(content, dict):
        return IGNORE
    relation = content.get("m.relates_to")
    relation = relation if isinstance(relation, dict) else {}
    if kind == "m.reaction":
        key, target = relation.get("key"), relation.get("event_id")
        if relation.get("rel_type") == "m.annotation" and isinstance(key, str):
            return Incoming("reaction", text=key, reacts_to=str(target))
        return IGNORE
    if kind == "m.sticker":
        return Incoming("unsupported", unsupported="sticker")
    if kind != "m.room.message" or relation.get("rel_type") == "m.replace":
        return IGNORE
    msgtype, body = content.get("msgtype"), content.get("body")
    if msgtype in ("m.text", "m.emote") and isinstance(body, str):
        if "m.in_reply_to" in relation:
            body = strip_reply_fallback(body)
        return Incoming("text", text=body)
    if msgtype == "m.image":
        media = _media(content)
        return Incoming("image", media=media) if media else IGNORE
    if msgtype == "m.notice":
        return IGNORE  # other bots speak in notices; answering them could loop
    return Incoming("unsupported", unsupported=UNSUPPORTED.get(str(msgtype), "unknown"))


def strip_reply_fallback(body: str) -> str:
    """A reply's body without the ``> <@user> quoted`` lines clients put before it."""
    lines = body.split("\n")
    if not lines or not lines[0].startswith("> "):
        return body
    index = 0
    while index < len(lines) and lines[index].startswith(">"):
        index += 1
    return "\n".join(lines[index:]).lstrip("\n")


def _media(content: dict[str, Any]) -> Media | None:
    info = content.get("info")
    size = info.get("size") if isinstance(info, dict) else None
    size = size if isinstance(size, int) else None
    file = content.get("file")
    if isinstance(file, dict):
        key, hashes = file.get("key"), file.get("hashes")
        if not (isinstance(key, dict) and isinstance(hashes, dict)):
            return None
        url, k, iv, sha256 = file.get("url"), key.get("k"), file.get("iv"), hashes.get("sha256")
        if all(isinstance(v, str) for v in (url, k, iv, sha256)):
            return Media(str(url), str(k), str(iv), str(sha256), size)
        return None
    url = content.get("url")
    return Media(url, size=size) if isinstance(url, str) and url.startswith("mxc://") else None


def open_media(data: bytes, media: Media) -> bytes:
    """The image's bytes: decrypted and checked against its hash when it was encrypted.

    Raises ValueError when the hash does not match or the key is bad.
    """
    if not media.encrypted:
        return data
    try:
        return bytes(decrypt_attachment(data, media.key, media.sha256, media.iv))
    except Exception as exc:  # nio raises its EncryptionError, and binascii errors
        raise ValueError("the attachment could not be decrypted") from exc


def text_event(
    text: str, options: Options, *, chat: ChatRef, sender: SenderRef, event_id: str
) -> Event:
    """A typed line: the option it picks, else a command or a message."""
    option = choose(text, options)
    if option is not None:
        return ButtonAction(
            chat=chat, sender=sender, language=None, event_id=event_id, payload=option.payload
        )
    return event_from_text(text, chat=chat, sender=sender, language=None, event_id=event_id)
