"""Rich text that cannot be injected into.

Replies are built from spans of plain text with a style. Translators write
plain templates with ``{name}`` placeholders, user and database text is always
a plain span, and each adapter escapes every span for its own markup when it
renders. No string is ever parsed as markup, so no user text can become markup.
"""

from __future__ import annotations

import html
import string
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Style = Literal["plain", "bold", "italic", "code", "link"]


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    style: Style = "plain"
    href: str | None = None


@dataclass(frozen=True, slots=True)
class Text:
    spans: tuple[Span, ...] = ()

    def __add__(self, other: Text | str) -> Text:
        other_text = other if isinstance(other, Text) else plain(other)
        return Text(self.spans + other_text.spans)

    def __radd__(self, other: str) -> Text:
        return plain(other) + self

    def __bool__(self) -> bool:
        return any(span.text for span in self.spans)

    @property
    def plain(self) -> str:
        """The text without styles, as a console or a notification shows it."""
        return "".join(span.text for span in self.spans)


TextLike = Text | str


def as_text(value: TextLike) -> Text:
    return value if isinstance(value, Text) else plain(value)


def plain(value: str) -> Text:
    return Text((Span(value),)) if value else Text()


def bold(value: TextLike) -> Text:
    """Bold text; a formatted ``Text`` turns bold span by span (links stay links)."""
    if isinstance(value, Text):
        return Text(
            tuple(span if span.style == "link" else Span(span.text, "bold") for span in value.spans)
        )
    return Text((Span(value, "bold"),)) if value else Text()


def italic(value: TextLike) -> Text:
    if isinstance(value, Text):
        return Text(tuple(Span(span.text, "italic") for span in value.spans))
    return Text((Span(value, "italic"),)) if value else Text()


def code(value: str) -> Text:
    return Text((Span(value, "code"),)) if value else Text()


def link(label: str, href: str) -> Text:
    return Text((Span(label, "link", href),))


def join(parts: Iterable[TextLike], sep: TextLike = "\n") -> Text:
    out = Text()
    separator = as_text(sep)
    for i, part in enumerate(parts):
        if i:
            out += separator
        out += as_text(part)
    return out


def fmt(template: str, **values: TextLike) -> Text:
    """Fill ``{name}`` placeholders of a translated template.

    The template's own text becomes plain spans; a value keeps its styles.
    A placeholder the caller did not supply raises KeyError, which the
    catalog test catches before a user could.
    """
    out = Text()
    for literal, field, spec, conversion in string.Formatter().parse(template):
        if literal:
            out += plain(literal)
        if field is None:
            continue
        if spec or conversion:
            raise ValueError(f"format specs are not supported in templates: {template!r}")
        out += as_text(values[field])
    return out


def to_html(text: Text) -> str:
    """Render as the HTML subset that Telegram and Matrix both accept."""
    parts: list[str] = []
    for span in text.spans:
        body = html.escape(span.text, quote=False)
        if span.style == "bold":
            parts.append(f"<b>{body}</b>")
        elif span.style == "italic":
            parts.append(f"<i>{body}</i>")
        elif span.style == "code":
            parts.append(f"<code>{body}</code>")
        elif span.style == "link" and span.href:
            parts.append(f'<a href="{html.escape(span.href, quote=True)}">{body}</a>')
        else:
            parts.append(body)
    return "".join(parts)
