"""Languages and message catalogs.

Catalogs are gettext ``.po`` files under ``bot/locale`` read with Babel at
start-up, so there is no compiled ``.mo`` to forget to rebuild. Source strings
(msgids) are English; both zh_CN and en carry a translation of every msgid,
and ``tests/test_catalogs.py`` fails when one is missing.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES: tuple[str, ...] = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"
DOMAIN = "candibot"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

Gettext = Callable[[str], str]


def N_(message: str) -> str:
    """Mark a string for extraction where it is defined; translate it where it is shown."""
    return message


def normalize_language(hint: str | None) -> str | None:
    """Map a platform language code ("zh-hans", "en-US", "zh_TW") to one we speak."""
    if not hint:
        return None
    code = hint.replace("-", "_").lower()
    if code.startswith("zh"):
        return "zh_CN"
    if code.startswith("en"):
        return "en"
    return None


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def _translations(language: str) -> Translations:
    with po_path(language).open("rb") as fh:
        catalog = read_po(fh, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


@dataclass(frozen=True)
class Catalogs:
    """Every language's translations, loaded once and shared by all events."""

    languages: tuple[str, ...] = LANGUAGES
    default: str = DEFAULT_LANGUAGE
    _loaded: dict[str, Translations] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for language in self.languages:
            self._loaded[language] = _translations(language)

    def gettext(self, language: str) -> Gettext:
        translations = self._loaded.get(language) or self._loaded[self.default]
        return translations.gettext

    def choose(self, *candidates: str | None) -> str:
        """The first candidate we speak, else the default (zh_CN)."""
        for candidate in candidates:
            if candidate in self._loaded:
                return candidate
        return self.default


def all_gettexts(catalogs: Catalogs) -> Iterable[tuple[str, Gettext]]:
    return ((language, catalogs.gettext(language)) for language in catalogs.languages)
