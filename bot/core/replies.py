"""What the core hands back to an adapter: frozen, platform-neutral replies."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.events import MAX_PAYLOAD_BYTES
from bot.core.markup import Span, Text, TextLike, as_text


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    #: Routed back as a ButtonAction; ``prefix:args``, at most 64 bytes.
    payload: str

    def __post_init__(self) -> None:
        if len(self.payload.encode()) > MAX_PAYLOAD_BYTES:
            raise ValueError(f"button payload over {MAX_PAYLOAD_BYTES} bytes: {self.payload!r}")


ButtonRows = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True, slots=True)
class Reply:
    text: Text
    buttons: ButtonRows = ()
    #: The platform message id to answer, when the adapter can thread replies.
    reply_to: str | None = None
    #: A PNG image sent with the text as its caption (a chart); None for text only.
    image: bytes | None = None
    #: What the image shows, in the user's language, where it cannot be shown.
    image_alt: str | None = None
    #: The reply asks for a photo: where sending one takes a form (the web), it has one.
    asks_for_photo: bool = False

    def to_json(self) -> dict[str, object]:
        """A JSON-able form, for replies that wait in the outbox or until sent."""
        data: dict[str, object] = {
            "spans": [[span.text, span.style, span.href] for span in self.text.spans],
            "buttons": [[[b.label, b.payload] for b in row] for row in self.buttons],
        }
        if self.reply_to is not None:
            data["reply_to"] = self.reply_to
        if self.image is not None:
            data["image"] = base64.b64encode(self.image).decode()
        if self.image_alt is not None:
            data["image_alt"] = self.image_alt
        if self.asks_for_photo:
            data["asks_for_photo"] = True
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reply:
        spans = tuple(Span(text, style, href) for text, style, href in data.get("spans", []))
        rows = [
            [Button(label, payload) for label, payload in row] for row in data.get("buttons", [])
        ]
        image = data.get("image")
        return cls.of(
            Text(spans),
            rows,
            reply_to=data.get("reply_to"),
            image=base64.b64decode(image, validate=True) if image is not None else None,
            image_alt=data.get("image_alt"),
            asks_for_photo=bool(data.get("asks_for_photo", False)),
        )

    @classmethod
    def of(
        cls,
        text: TextLike,
        buttons: Sequence[Sequence[Button]] = (),
        reply_to: str | None = None,
        image: bytes | None = None,
        image_alt: str | None = None,
        *,
        asks_for_photo: bool = False,
    ) -> Reply:
        rows = tuple(tuple(row) for row in buttons if row)
        return cls(as_text(text), rows, reply_to, image, image_alt, asks_for_photo)
