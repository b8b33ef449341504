"""Replies as the page shows them: lines of styled pieces for the template that
escapes every piece (``templates/text.html``, autoescape). Each bubble is rendered
once, when its turn is taken, and kept in the sealed session as HTML: the page joins
those instead of rendering every bubble again on every view. Only that output of our
own template is ever marked safe; no text a user or the database gave is.

A line that is nothing but one ``code`` span is something to keep (a report's
receipt): the page shows it large and selectable, with a reminder to write it down.
Links keep their address only when it is http(s); anything else is shown as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from markupsafe import Markup

from bot.adapters.web.sessions import Entry
from bot.core.markup import Span, Text
from bot.core.replies import ButtonRows, Reply

#: Links that leave the page only for the web, never for a script or data.
SCHEMES = ("http", "https")


@dataclass(frozen=True, slots=True)
class Line:
    pieces: tuple[Span, ...]
    #: A receipt or code to write down: shown large, selected whole by one tap.
    keepsake: bool = False


@dataclass(frozen=True, slots=True)
class Bubble:
    """One bubble for the template that renders it (``templates/text.html``)."""

    mine: bool
    lines: tuple[Line, ...]
    #: What a picture of the reply shows (the page shows no pictures of replies).
    picture: str | None = None


@dataclass(frozen=True, slots=True)
class Shown:
    """A bubble on the page: its HTML, made by the autoescaping template when the turn
    was taken and sealed in the session since; nothing a user sent is in it unescaped."""

    mine: bool
    html: Markup
    #: The first bubble of the latest turn: the page's ``#latest`` anchor.
    latest: bool = False


def bubble(mine: bool, reply: Reply) -> Bubble:
    picture = (reply.image_alt or "…") if reply.image is not None else None
    return Bubble(mine, lines(reply.text), picture)


def lines(text: Text) -> tuple[Line, ...]:
    """``text`` cut at its line breaks, each line a run of pieces."""
    out: list[list[Span]] = [[]]
    for span in text.spans:
        for i, part in enumerate(span.text.split("\n")):
            if i:
                out.append([])
            if part:
                out[-1].append(_piece(Span(part, span.style, span.href)))
    return tuple(Line(tuple(pieces), _keepsake(pieces)) for pieces in out)


def _piece(span: Span) -> Span:
    if span.style == "link" and urlsplit(span.href or "").scheme.lower() not in SCHEMES:
        return Span(span.text)
    return span


def _keepsake(pieces: list[Span]) -> bool:
    shown = [p for p in pieces if p.text.strip()]
    return len(shown) == 1 and shown[0].style == "code"


def shown(entries: tuple[Entry, ...]) -> list[Shown]:
    latest_turn = entries[-1].turn if entries else None
    out: list[Shown] = []
    for entry in entries:
        latest = entry.turn == latest_turn and not any(s.latest for s in out)
        out.append(Shown(entry.mine, Markup(entry.html), latest))
    return out


def latest_buttons(entries: tuple[Entry, ...]) -> ButtonRows:
    """The buttons of the latest turn's replies; older ones are not offered again."""
    if not entries:
        return ()
    turn = entries[-1].turn
    return tuple(
        row for entry in entries if entry.turn == turn and not entry.mine
        for row in entry.reply.buttons
    )  # fmt: skip


def asks_for_photo(entries: tuple[Entry, ...]) -> bool:
    """The latest reply asks for a photo: the page offers an upload field."""
    replies = [entry.data for entry in entries if not entry.mine]
    return bool(replies) and bool(replies[-1].get("asks_for_photo"))
