"""A core reply in Telegram's idiom: escaped HTML, inline keyboards, messages within the limit."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.markup import Span, Text, to_html
from bot.core.replies import ButtonRows, Reply

#: Telegram's limit on a message's text after entity parsing, in UTF-16 code units.
MAX_CHARS = 4096


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One Telegram message: HTML, the same text without markup, and its keyboard."""

    html: str
    plain: str
    keyboard: InlineKeyboardMarkup | None = None


def render(reply: Reply, limit: int = MAX_CHARS) -> list[Outgoing]:
    """The messages that show ``reply``: long text split, the keyboard under the last one."""
    chunks = [chunk for chunk in split(reply.text, limit) if chunk.plain.strip()]
    if not chunks:
        return []
    messages = [Outgoing(to_html(chunk), chunk.plain) for chunk in chunks]
    last = messages[-1]
    messages[-1] = Outgoing(last.html, last.plain, keyboard(reply.buttons))
    return messages


def keyboard(rows: ButtonRows) -> InlineKeyboardMarkup | None:
    """Buttons as an inline keyboard; labels are sent as plain text, payloads as callback data."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.payload) for b in row] for row in rows]
    )


def utf16_len(text: str) -> int:
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def split(text: Text, limit: int = MAX_CHARS) -> list[Text]:
    """``text`` in pieces of at most ``limit`` UTF-16 units, cut at a blank line, else a line
    break, else a space, else anywhere; styles carry over the cuts, separators are dropped."""
    whole = text.plain
    if utf16_len(whole) <= limit:
        return [text]
    pieces: list[Text] = []
    start = 0
    while start < len(whole):
        end = _fit(whole, start, limit)
        if end == len(whole):
            pieces.append(_slice(text, start, end))
            break
        cut, resume = _cut(whole, start, end)
        pieces.append(_slice(text, start, cut))
        start = resume
    return pieces


def _fit(whole: str, start: int, limit: int) -> int:
    """The furthest end from ``start`` whose text stays within ``limit`` UTF-16 units."""
    units, end = 0, start
    while end < len(whole):
        units += 2 if ord(whole[end]) > 0xFFFF else 1
        if units > limit:
            break
        end += 1
    return end


def _cut(whole: str, start: int, end: int) -> tuple[int, int]:
    """Where to end a piece within ``whole[start:end]``, and where the next one begins."""
    window = whole[start:end]
    floor = len(window) // 2  # a separator in the first half would waste the piece
    for separator in ("\n\n", "\n", " "):
        at = window.rfind(separator)
        if at > floor:
            cut = start + at
            resume = cut + len(separator)
            while resume < len(whole) and whole[resume] == "\n":
                resume += 1
            return cut, resume
    return end, end


def _slice(text: Text, start: int, end: int) -> Text:
    """The part of ``text`` between plain-text offsets ``start`` and ``end``, styles kept."""
    spans: list[Span] = []
    offset = 0
    for span in text.spans:
        span_end = offset + len(span.text)
        lo, hi = max(start, offset), min(end, span_end)
        if lo < hi:
            spans.append(Span(span.text[lo - offset : hi - offset], span.style, span.href))
        offset = span_end
    return Text(tuple(spans))
