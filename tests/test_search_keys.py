"""Name keys and query normalisation: the spellings users type meet the stored keys."""

from __future__ import annotations

import pytest

from storage.models import KeyKind
from storage.search_keys import display_pinyin, name_keys, query_key


def _keys(name: str, kind: KeyKind) -> set[str]:
    return {k.key for k in name_keys(name) if k.kind == kind}


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("曾立新", "Zēng Lìxīn"),
        ("单伟", "Shàn Wěi"),
        ("覃思远", "Qín Sīyuǎn"),
        ("欧阳明", "Ōuyáng Míng"),
        ("吕小红", "Lǚ Xiǎohóng"),
        ("解放", "Xiè Fàng"),
    ],
)
def test_display_pinyin_uses_the_surname_reading(name: str, shown: str) -> None:
    assert display_pinyin(name) == shown


@pytest.mark.parametrize(
    ("name", "typed"),
    [
        ("曾立新", ["zenglixin", "cenglixin"]),
        ("单伟", ["shanwei", "danwei"]),
        ("覃思远", ["qinsiyuan", "tansiyuan"]),
        ("吕小红", ["lvxiaohong", "luxiaohong"]),
        ("区家明", ["oujiaming", "qujiaming"]),
    ],
)
def test_every_reading_of_a_polyphonic_surname_is_a_key(name: str, typed: list[str]) -> None:
    assert set(typed) <= _keys(name, KeyKind.pinyin)


def test_initials_follow_each_reading() -> None:
    assert _keys("曾立新", KeyKind.initials) == {"zlx", "clx"}


def test_traditional_characters_are_stored_simplified() -> None:
    assert _keys("單偉", KeyKind.hanzi) == {"单伟"}


def test_aliases_are_searchable() -> None:
    assert "覃小燕" in {k.key for k in name_keys("覃海燕", ["覃小燕"])}


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Zēng Lìxīn", "zenglixin"),
        ("zeng lixin", "zenglixin"),
        ("ZENG-LIXIN", "zenglixin"),
        ("zeng1 li4 xin1", "zenglixin"),
        ("lǚ", "lv"),
        ("  hé péng ", "hepeng"),
        ("Xi'an", "xian"),
    ],
)
def test_latin_queries_normalise_to_toneless_pinyin(typed: str, key: str) -> None:
    wanted = query_key(typed)
    assert wanted is not None and wanted.key == key
    assert KeyKind.pinyin in wanted.kinds and KeyKind.initials in wanted.kinds


def test_character_queries_are_simplified() -> None:
    wanted = query_key("單 偉")
    assert wanted is not None and wanted.key == "单伟" and wanted.kinds == (KeyKind.hanzi,)


@pytest.mark.parametrize("typed", ["", "   ", "123", "!!!"])
def test_nothing_searchable_gives_no_key(typed: str) -> None:
    assert query_key(typed) is None
