"""Checks on incoming text before any handler sees it."""

from __future__ import annotations

import unicodedata

from bot.core.i18n import N_

#: Longer messages are refused; no flow needs more, and it bounds work per event.
MAX_TEXT_CHARS = 4000

_ALLOWED_CONTROLS = {"\n", "\t"}


def text_problem(text: str, *, undecodable: bool = False) -> str | None:
    """A translatable explanation of what is wrong with ``text``, or None."""
    if undecodable:
        return N_(
            "I could not read that message: it is not valid UTF-8 text. Please type it again."
        )
    if len(text) > MAX_TEXT_CHARS:
        return N_("That message is too long. Please keep it under {limit} characters.")
    if any(unicodedata.category(c) == "Cc" and c not in _ALLOWED_CONTROLS for c in text) or any(
        unicodedata.category(c) in ("Cs", "Co") for c in text
    ):
        return N_(
            "That message contains control characters that I cannot handle. Please send plain text."
        )
    if not text.strip():
        return N_("That message is empty. Type /help to see what I can do.")
    return None
