"""The page's language: the browser's ``Accept-Language`` first, the switch after."""

from __future__ import annotations

from bot.core.i18n import DEFAULT_LANGUAGE, normalize_language

#: Each language's name in itself, for the switch: a lost reader still finds their own.
NAMES = {"zh_CN": "中文", "en": "English"}
#: The HTML ``lang`` of each.
TAGS = {"zh_CN": "zh-CN", "en": "en"}


def from_header(header: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """The language we speak that the browser ranks highest (``zh-CN,en;q=0.8``)."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((header or "").split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                continue
        language = normalize_language(tag.strip())
        if language is not None and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else default


def other(language: str) -> str:
    """The language the switch offers."""
    return "en" if language == "zh_CN" else "zh_CN"
