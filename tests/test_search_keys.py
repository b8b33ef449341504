"""Name keys and query normalisation: the spellings users type meet the stored keys."""

from __future__ import annotations

import pytest

from storage.models import KeyKind
from storage.pinyin_syllables import Readings, syllable_count
from storage.search_keys import _edits, display_pinyin, name_keys, query_key, respellings


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


@pytest.mark.parametrize(
    ("name", "hanzi", "pinyin"),
    [
        ("曾立新", {"立新"}, {"lixin"}),
        ("欧阳晴", {"晴"}, {"qing"}),  # a compound surname is not part of the given name
        ("吕绿英", {"绿英"}, {"lvying", "luying"}),  # ü typed as v or u
        ("單偉", {"伟"}, {"wei"}),
    ],
)
def test_the_given_name_alone_is_a_key(name: str, hanzi: set[str], pinyin: set[str]) -> None:
    # Marked, so that whole names' key ranges hold no given names (storage/search_keys.py).
    assert _keys(name, KeyKind.given_hanzi) == {"=" + key for key in hanzi}
    assert _keys(name, KeyKind.given_pinyin) == {"=" + key for key in pinyin}


def test_an_alias_gives_its_given_name_too() -> None:
    assert _keys("覃海燕", KeyKind.given_hanzi) == {"=海燕"}
    assert {k.key for k in name_keys("覃海燕", ["覃小燕"]) if k.kind == KeyKind.given_hanzi} == {
        "=海燕",
        "=小燕",
    }


def test_given_names_lie_apart_from_every_query_range() -> None:
    """A query key is letters or characters; the mark sorts before both."""
    for typed in ("a", "zeng lixin", "王", "立新", "𠀀"):
        wanted = query_key(typed)
        assert wanted is not None and "=" not in wanted.key
        assert wanted.key > "=" + "\U0010ffff"


@pytest.mark.parametrize(
    ("typed", "mended"),
    [
        ("zneg", ["zeng"]),  # two letters swapped
        ("wnag", ["wang"]),
        ("lxiin", ["lixin"]),
        ("znegli", ["zengli"]),
        ("zenf", ["zeng", "zen", "zenfa"]),  # one syllable before two
    ],
)
def test_a_mistyped_syllable_is_respelt_as_pinyin(typed: str, mended: list[str]) -> None:
    assert respellings(typed) == mended


@pytest.mark.parametrize("typed", ["zeng", "xihu", "lixin", "zng", "xqzvxqzv", "zhangshengchengq"])
def test_pinyin_short_or_long_keys_and_nonsense_are_not_respelt(typed: str) -> None:
    # Reads as pinyin already; under four letters; nothing near reads; too long to bother.
    assert respellings(typed) == []


@pytest.mark.parametrize("key", ["zneg", "lxiin", "zhangshengch", "xqzvabc", "ngngng", "aeiou"])
def test_a_spelling_read_around_its_typo_reads_as_it_would_whole(key: str) -> None:
    readings = Readings.of(key)
    for edit in _edits(key):
        assert readings.after_edit(edit.start, edit.stop, edit.variant) == syllable_count(
            edit.variant
        ), edit
