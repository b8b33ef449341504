"""What the core hands back to an adapter: frozen, platform-neutral replies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.events import MAX_PAYLOAD_BYTES
from bot.core.markup import Text, TextLike, as_text


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

    @classmethod
    def of(
        cls,
        text: TextLike,
        buttons: Sequence[Sequence[Button]] = (),
        reply_to: str | None = None,
    ) -> Reply:
        return cls(as_text(text), tuple(tuple(row) for row in buttons if row), reply_to)
