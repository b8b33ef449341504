"""Whether a message that matched nothing was meant as a person's name: only then is the
answer "no candidate called …"; "好的", "bye" or "dinner" get what the bot can do."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources

from storage.pinyin_syllables import syllable_count
from storage.search_keys import has_hanzi, simplified, strip_tones

#: A Chinese name is two to four characters, five with a compound surname.
LONGEST_NAME = 5
_VOWELS = frozenset("aeiouv")
_NOT_LATIN = re.compile(r"[^a-z]")


@cache
def surnames() -> frozenset[str]:
    source = resources.files("handlers.data").joinpath("surnames.txt").read_text("utf-8")
    return frozenset(
        word for line in source.splitlines() if not line.startswith("#") for word in line.split()
    )


def looks_like_a_person(message: str) -> bool:
    """Characters that begin with a surname, pinyin that reads as syllables ("zeng lixin",
    "Zēng"), or initials ("zlx")."""
    text = unicodedata.normalize("NFKC", message).strip()
    if has_hanzi(text):
        name = simplified("".join(c for c in text if not c.isspace() and c not in "·•・"))
        return len(name) <= LONGEST_NAME and (name[:1] in surnames() or name[:2] in surnames())
    letters = _NOT_LATIN.sub("", strip_tones(text))
    if not letters:
        return False
    if 2 <= len(letters) <= 4 and not _VOWELS & set(letters):
        return True  # initials
    return syllable_count(letters) is not None
