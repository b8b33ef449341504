"""Replies as Matrix messages: escaped HTML with a plain-text body, buttons as numbers.

Every span of a reply is escaped (``bot.core.markup.to_html``), and so is every
button label. Buttons become a numbered list the user answers with the number
or the label, or by reacting with the number's keycap emoji. The options travel
inside the message's content (encrypted with it in an encrypted room), so the
adapter can read them back from the room after a restart.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from bot.core.markup import Span, Text, to_html
from bot.core.replies import Reply

#: Where a message's options are kept in its content.
OPTIONS_KEY = "org.candibot.options"
#: Reactions that choose option 1 to 10.
KEYCAPS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟")
_VS16 = "\ufe0f"  # clients send keycaps with or without this variation selector
_BARE_KEYCAPS = tuple(k.replace(_VS16, "") for k in KEYCAPS)
#: Well under Matrix's 64 KiB event limit, with room for the HTML twin and encryption.
MAX_TEXT_CHARS = 12_000


@dataclass(frozen=True, slots=True)
class Option:
    label: str
    payload: str


Options = tuple[Option, ...]


@dataclass(frozen=True, slots=True)
class Message:
    """One ``m.room.message``: a plain body, its HTML twin and the options it offers."""

    text: Text
    options: Options = ()

    @property
    def body(self) -> str:
        lines = [_plain(self.text)]
        if self.options:
            width = len(str(len(self.options)))
            lines.append("")
            lines += [f"{i:>{width}}) {o.label}" for i, o in enumerate(self.options, 1)]
        return "\n".join(lines)

    @property
    def html(self) -> str:
        formatted = to_html(self.text).replace("\n", "<br>")
        if self.options:
            items = "".join(f"<li>{html.escape(o.label, quote=False)}</li>" for o in self.options)
            formatted += f"<ol>{items}</ol>"
        return formatted

    def content(self) -> dict[str, Any]:
        content: dict[str, Any] = {
            "msgtype": "m.text",
            "body": self.body,
            "format": "org.matrix.custom.html",
            "formatted_body": self.html,
        }
        # Recorded also when empty: after a reply without options a number is plain text.
        content[OPTIONS_KEY] = [[o.label, o.payload] for o in self.options]
        return content


def notice(text: Text) -> dict[str, Any]:
    """A notice of the adapter's own: no options, so it leaves the latest options standing."""
    message = Message(text)
    return {
        "msgtype": "m.notice",
        "body": message.body,
        "format": "org.matrix.custom.html",
        "formatted_body": message.html,
    }


def render(reply: Reply, limit: int = MAX_TEXT_CHARS) -> list[Message]:
    """The messages that show ``reply``; a long text is split, the options go last."""
    options = tuple(Option(b.label, b.payload) for row in reply.buttons for b in row)
    parts = split(reply.text, limit)
    return [Message(part, options if i == len(parts) - 1 else ()) for i, part in enumerate(parts)]


def split(text: Text, limit: int) -> list[Text]:
    """``text`` in pieces of at most ``limit`` characters, cut at line ends where possible."""
    pieces: list[list[Span]] = [[]]
    size = 0
    for span in text.spans:
        rest = span.text
        while rest:
            room = limit - size
            if len(rest) <= room:
                pieces[-1].append(Span(rest, span.style, span.href))
                size += len(rest)
                break
            newline = rest.rfind("\n", 0, room)
            cut = newline + 1 if newline >= 0 else (room if size == 0 else 0)
            if cut:
                pieces[-1].append(Span(rest[:cut], span.style, span.href))
                rest = rest[cut:]
            pieces.append([])
            size = 0
    return [Text(tuple(spans)) for spans in pieces if spans] or [Text()]


def _plain(text: Text) -> str:
    """The plain body: like ``Text.plain``, with a link's address after its label."""
    parts = []
    for span in text.spans:
        parts.append(span.text)
        if span.style == "link" and span.href and span.href != span.text:
            parts.append(f" <{span.href}>")
    return "".join(parts)


def options_of(content: dict[str, Any]) -> Options | None:
    """The options a message of ours offered; None if it is not one of ours."""
    raw = content.get(OPTIONS_KEY)
    if not isinstance(raw, list):
        return None
    options = []
    for item in raw:
        if isinstance(item, list) and len(item) == 2 and all(isinstance(v, str) for v in item):
            options.append(Option(item[0], item[1]))
    return tuple(options)


def choose(answer: str, options: Options) -> Option | None:
    """The option ``answer`` picks: its number, its label (any case), or its keycap."""
    choice = answer.strip()
    if not choice or not options:
        return None
    if choice.isascii() and choice.isdigit():
        number = int(choice)
        return options[number - 1] if 1 <= number <= len(options) else None
    keycap = choice.replace(_VS16, "")
    if keycap in _BARE_KEYCAPS:
        number = _BARE_KEYCAPS.index(keycap) + 1
        return options[number - 1] if number <= len(options) else None
    folded = choice.casefold()
    return next((o for o in options if o.label.strip().casefold() == folded), None)
