"""Every user-facing string is translated in both catalogs, with the same placeholders."""

from __future__ import annotations

import importlib.util
import re
import string
from importlib import resources
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.core.i18n import DOMAIN, LANGUAGES, Catalogs, po_path
from bot.core.markup import fmt

ROOT = Path(__file__).resolve().parent.parent


def _source_messages() -> set[str]:
    spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "tools" / "i18n.py")
    assert spec and spec.loader
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return {message.id for message in tool.template() if message.id}


SOURCE = _source_messages()


def _catalog(language: str) -> dict[str, tuple[str, bool]]:
    with po_path(language).open("rb") as fh:
        catalog = read_po(fh, locale=language, domain=DOMAIN)
    return {m.id: (m.string, m.fuzzy) for m in catalog if m.id}  # type: ignore[misc]


def _fields(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def test_source_has_messages() -> None:
    assert len(SOURCE) > 50


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_translates_every_source_string(language: str) -> None:
    catalog = _catalog(language)
    missing = sorted(m for m in SOURCE if not catalog.get(m, ("", False))[0])
    fuzzy = sorted(m for m in SOURCE if catalog.get(m, ("", False))[1])
    assert not missing, f"{language} lacks translations (run `make i18n`): {missing}"
    assert not fuzzy, f"{language} has fuzzy translations: {fuzzy}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_holds_no_stale_strings(language: str) -> None:
    stale = sorted(set(_catalog(language)) - SOURCE)
    assert not stale, f"{language} has strings no code uses (run `make i18n`): {stale}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders(language: str) -> None:
    for msgid, (msgstr, _) in _catalog(language).items():
        assert _fields(msgid) == _fields(msgstr), (language, msgid, msgstr)
        fmt(msgstr, **{name: "x" for name in _fields(msgid)})


def test_chinese_catalog_is_really_chinese() -> None:
    catalogs = Catalogs()
    _ = catalogs.gettext("zh_CN")
    assert _("Welcome to candibot.") == "欢迎使用 candibot。"
    untranslated = [m for m in SOURCE if _(m) == m and any(c.isalpha() and c.isascii() for c in m)]
    # Strings that are the same in both languages are rare and must be listed here.
    assert sorted(untranslated) == ["中文 / English"]


def test_chinese_cites_articles_of_the_law_one_way() -> None:
    """第二十八条, never 第28条: in the catalog and in the rights texts."""
    texts_with_articles = [text for text, _ in _catalog("zh_CN").values()]
    rights = resources.files("handlers.data").joinpath("rights.toml").read_text("utf-8")
    digits = [t for t in [*texts_with_articles, rights] if re.search(r"第\d+条", t)]
    assert digits == []
