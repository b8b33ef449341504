"""Search keys for personal names: computed once when a name is written, then indexed.

A name gets keys of five kinds:
- ``hanzi``: the name (and each alias) in Simplified characters;
- ``pinyin``: toneless full pinyin without spaces, once per reading of the
  surname ("zenglixin", "cenglixin") and with ü typed both as v and as u;
- ``initials``: the first letter of each syllable ("zlx", "clx");
- ``given_hanzi`` and ``given_pinyin``: the given name alone, for people who know a
  candidate by it, marked with GIVEN_MARK ("=立新", "=lixin").

A query is normalised the same way (``query_key``), so "Zēng Lìxīn",
"zeng lixin", "zenglixin" and "zlx" all meet the keys of 曾立新.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from opencc import OpenCC
from pypinyin import Style, lazy_pinyin

from storage.models import KeyKind
from storage.pinyin_syllables import Readings, syllable_count

#: Surnames whose reading as a surname differs from a character's everyday
#: reading, or that users type in more than one way. The first reading is the
#: correct one (with tone, for display); the others are what people also type.
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "曾": ("zēng", "céng"),
    "单": ("shàn", "dān"),
    "覃": ("qín", "tán"),
    "解": ("xiè", "jiě"),
    "区": ("ōu", "qū"),
    "仇": ("qiú", "chóu"),
    "朴": ("piáo", "pǔ"),
    "查": ("zhā", "chá"),
    "盖": ("gě", "gài"),
    "乐": ("yuè", "lè"),
    "翟": ("zhái", "dí"),
    "缪": ("miào", "móu"),
    "种": ("chóng", "zhǒng"),
    "燕": ("yān", "yàn"),
    "纪": ("jǐ", "jì"),
    "华": ("huà", "huá"),
    "任": ("rén", "rèn"),
    "员": ("yùn", "yuán"),
    "繁": ("pó", "fán"),
    "句": ("gōu", "jù"),
    "召": ("shào", "zhào"),
    "宓": ("mì", "fú"),
    "冼": ("xiǎn",),
    "柏": ("bǎi", "bó"),
    "秘": ("bì", "mì"),
    "隗": ("wěi", "kuí"),
    "祭": ("zhài", "jì"),
    "尉迟": ("yùchí", "wèichí"),
    "万俟": ("mòqí", "wànsì"),
    "长孙": ("zhǎngsūn", "chángsūn"),
    "澹台": ("tántái", "dàntái"),
}

COMPOUND_SURNAMES = frozenset(
    {
        "欧阳", "司马", "诸葛", "上官", "司徒", "东方", "皇甫", "令狐", "尉迟", "万俟",
        "长孙", "澹台", "慕容", "公孙", "夏侯", "宇文", "轩辕", "端木", "西门", "独孤",
        "南宫", "呼延", "闻人", "申屠", "钟离", "宗政", "濮阳", "公冶", "太叔", "赫连",
    }
)  # fmt: skip

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_NOT_LATIN = re.compile(r"[^a-z]")


@cache
def _t2s() -> OpenCC:
    return OpenCC("t2s")


def simplified(text: str) -> str:
    return str(_t2s().convert(text))


def has_hanzi(text: str) -> bool:
    return bool(_CJK.search(text))


def strip_tones(syllables: str) -> str:
    """ "Lǚ Zēng" -> "lv zeng": tone marks dropped, ü written as v, lower case."""
    out: list[str] = []
    for char in unicodedata.normalize("NFD", syllables.lower()):
        if char == "\u0308":  # the diaeresis of ü
            out[-1] = "v"
        elif unicodedata.category(char) != "Mn":
            out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


@lru_cache(maxsize=65536)
def _char_reading(char: str) -> str:
    """The everyday toned reading of one character (cached: names reuse few characters)."""
    return str(lazy_pinyin(char, style=Style.TONE)[0])


def place_pinyin(name: str) -> list[str]:
    """Toneless syllables of a place name, read as a phrase (蚌埠 bengbu, 六安 lu an)."""
    return [
        _NOT_LATIN.sub("", strip_tones(s))
        for s in lazy_pinyin(name, style=Style.TONE, errors="ignore")
    ]


#: Administrative suffixes, read apart from the name they follow ("Xīhú Qū").
_PLACE_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "街道", "地区",
                   "省", "市", "区", "县", "旗", "镇", "乡", "盟")  # fmt: skip


def display_place_pinyin(name: str) -> str:
    """ "西湖区" -> "Xīhú Qū", "三墩镇" -> "Sāndūn Zhèn": for readers who do not read
    characters, beside the characters."""
    suffix = next((s for s in _PLACE_SUFFIXES if name.endswith(s) and len(name) > len(s)), "")
    parts = (name[: len(name) - len(suffix)], suffix) if suffix else (name,)
    read = ["".join(lazy_pinyin(part, style=Style.TONE, errors="ignore")) for part in parts]
    return " ".join(r[:1].upper() + r[1:] for r in read if r)


def split_name(name: str) -> tuple[str, str]:
    """(surname, given name); compound surnames are recognised."""
    if len(name) > 2 and name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    return name[:1], name[1:]


def surname_readings(surname: str) -> tuple[str, ...]:
    """Toned readings of a surname, the correct one first."""
    if surname in SURNAME_READINGS:
        return SURNAME_READINGS[surname]
    return ("".join(_char_reading(c) for c in surname),)


def display_pinyin(name: str) -> str:
    """ "曾立新" -> "Zēng Lìxīn"."""
    surname, given = split_name(simplified(name))
    family = surname_readings(surname)[0]
    given_pinyin = "".join(_char_reading(c) for c in given)
    return " ".join(part[:1].upper() + part[1:] for part in (family, given_pinyin) if part)


def _syllables(name: str) -> list[list[str]]:
    """Each reading of a name as a list of toneless syllables (one list per surname reading)."""
    surname, given = split_name(name)
    given_syllables = [strip_tones(_char_reading(c)) for c in given]
    readings = []
    for reading in surname_readings(surname):
        if len(surname) == 1:
            family = [strip_tones(reading)]
        else:  # split a compound surname's reading per character
            family = [strip_tones(_char_reading(c)) for c in surname]
            joined = strip_tones(reading)
            if "".join(family) != joined:
                family = [joined[: len(family[0])], joined[len(family[0]) :]]
        readings.append(family + given_syllables)
    return readings


def _u_variants(key: str) -> set[str]:
    """ü is typed as v or as u; offer both."""
    return {key, key.replace("v", "u")} if "v" in key else {key}


@dataclass(frozen=True, slots=True)
class SearchKey:
    kind: KeyKind
    key: str


def name_keys(name: str, aliases: tuple[str, ...] | list[str] = ()) -> set[SearchKey]:
    keys: set[SearchKey] = set()
    for spelling in (name, *aliases):
        simple = simplified(spelling.strip())
        if not simple:
            continue
        keys.add(SearchKey(KeyKind.hanzi, simple))
        for syllables in _syllables(simple):
            for full in _u_variants("".join(syllables)):
                keys.add(SearchKey(KeyKind.pinyin, _NOT_LATIN.sub("", full)))
            keys.add(SearchKey(KeyKind.initials, "".join(s[:1] for s in syllables)))
        keys |= given_name_keys(simple)
    return keys


#: Begins every given-name key. No query key holds it (they are letters or characters),
#: and it sorts before both, so that given names lie in the index apart from whole
#: names: a prefix read of "伟" or "wei" (a surname) does not wade through the
#: thousands of given names 伟华, 伟明 … that a kind filter would have to skip.
GIVEN_MARK = "="


def given_key(key: str) -> str:
    """A query key as a given-name key is stored ("lixin" -> "=lixin")."""
    return GIVEN_MARK + key


def given_name_keys(simple: str) -> set[SearchKey]:
    """The keys of a name's given name alone (``simple`` in Simplified characters)."""
    return set(_given_keys(split_name(simple)[1]))


@lru_cache(maxsize=65536)
def _given_keys(given: str) -> frozenset[SearchKey]:
    """(Given names repeat far more than whole names: each is read once.)"""
    if not given:
        return frozenset()
    read = _NOT_LATIN.sub("", "".join(strip_tones(_char_reading(c)) for c in given))
    keys = {SearchKey(KeyKind.given_pinyin, given_key(key)) for key in _u_variants(read) if key}
    return frozenset(keys | {SearchKey(KeyKind.given_hanzi, given_key(given))})


@dataclass(frozen=True, slots=True)
class QueryKey:
    kinds: tuple[KeyKind, ...]
    key: str

    @property
    def given(self) -> KeyKind:
        """The kind of given-name key this query may also be."""
        return KeyKind.given_hanzi if KeyKind.hanzi in self.kinds else KeyKind.given_pinyin


#: A query key is cut to this many characters, because the work a query causes
#: (variants, statement parameters) grows with it. Names in characters are no longer;
#: a longer pinyin spelling (双江拉祜族佤族布朗族傣族自治县) is still found by its prefix.
MAX_QUERY_KEY_LENGTH = 32
#: Only this much of a message is read to make its key: normalising and reading it as
#: pinyin cost time per character, and a name never needs more.
_MAX_QUERY_TEXT = 8 * MAX_QUERY_KEY_LENGTH


def query_key(query: str) -> QueryKey | None:
    """What to look up for a user's query; None if nothing searchable is left."""
    text = unicodedata.normalize("NFKC", query[:_MAX_QUERY_TEXT]).strip()
    if has_hanzi(text):
        key = "".join(_CJK.findall(simplified(text)))[:MAX_QUERY_KEY_LENGTH]
        return QueryKey((KeyKind.hanzi,), key) if key else None
    key = _NOT_LATIN.sub("", strip_tones(text))[:MAX_QUERY_KEY_LENGTH]
    return QueryKey((KeyKind.pinyin, KeyKind.initials), key) if key else None


_ALPHABET = "abcdefghijklmnopqrstuvwxyz"
#: Sounds that speakers of many dialects merge, so users type one for the other.
_CONFUSIONS = (
    ("zh", "z"), ("ch", "c"), ("sh", "s"), ("ang", "an"), ("eng", "en"), ("ing", "in"),
    ("n", "l"), ("h", "f"), ("r", "l"),
)  # fmt: skip

#: Below this length a typo-tolerant match is mostly noise.
MIN_FUZZY_LENGTH = 4
#: Above it there is no typo tier: a key of n letters has about 53n variants, each a
#: statement parameter, and a name this long is found by its prefix anyway.
MAX_FUZZY_KEY_LENGTH = 20
#: The most keys one statement looks up (an IN list). A key of MAX_FUZZY_KEY_LENGTH
#: letters has fewer variants than this (tests/test_search_bounds.py), so the cut in
#: ``bounded`` only guards against a change that would make more.
MAX_KEYS_PER_QUERY = 2048


def bounded(keys: Iterable[str]) -> list[str]:
    """``keys`` in order, at most MAX_KEYS_PER_QUERY of them, for an IN list."""
    return sorted(keys)[:MAX_KEYS_PER_QUERY]


@dataclass(frozen=True, slots=True)
class _Edit:
    """``key[start:stop]`` written otherwise: the spelling ``variant``."""

    kind: int
    start: int
    stop: int
    variant: str


def _edits(key: str) -> list[_Edit]:
    """Spellings one typo away from ``key``, by kind of typo, likeliest first: two
    letters swapped, a dialect merger, a letter left out, one mistyped, one too many."""
    splits = [(key[:i], key[i:]) for i in range(len(key) + 1)]
    edits = [_Edit(0, len(a), len(a) + 2, a + b[1] + b[0] + b[2:]) for a, b in splits if len(b) > 1]
    for one, other in _CONFUSIONS:
        for source, target in ((one, other), (other, one)):
            start = key.find(source)
            while start != -1:
                stop = start + len(source)
                edits.append(_Edit(1, start, stop, key[:start] + target + key[stop:]))
                start = key.find(source, start + 1)
    edits += [_Edit(2, len(a), len(a), a + c + b) for a, b in splits for c in _ALPHABET]
    edits += [
        _Edit(3, len(a), len(a) + 1, a + c + b[1:]) for a, b in splits if b for c in _ALPHABET
    ]
    edits += [_Edit(4, len(a), len(a) + 1, a + b[1:]) for a, b in splits if b]
    return edits


def typo_variants(key: str) -> set[str]:
    """Spellings one typo away from ``key`` (delete, swap, replace, insert a letter) and
    the dialect mergers above, for exact look-ups in the index: no scan is needed."""
    if not MIN_FUZZY_LENGTH <= len(key) <= MAX_FUZZY_KEY_LENGTH:
        return set()
    return {edit.variant for edit in _edits(key)} - {key}


#: A mistyped key longer than this gets no respellings: a whole name is mended by
#: ``typo_variants`` already, and respellings are for a surname or a given name alone.
MAX_RESPELL_LENGTH = 12
#: The most respellings a query is looked up by (each an index range read).
MAX_RESPELLINGS = 3


def respellings(key: str) -> list[str]:
    """For a Latin key that does not read as pinyin ("zneg", "lxiin"), the spellings
    one typo away that do ("zeng", "lixin"), at most MAX_RESPELLINGS, likeliest first:
    fewer syllables, then the kind of typo. A name is looked up by their prefixes,
    because a surname or a given name alone is a prefix of no key of the whole name."""
    if not MIN_FUZZY_LENGTH <= len(key) <= MAX_RESPELL_LENGTH or syllable_count(key) is not None:
        return []
    readings = Readings.of(key)
    ranked: dict[str, tuple[int, int]] = {}
    for edit in _edits(key):
        if edit.variant not in ranked:
            count = readings.after_edit(edit.start, edit.stop, edit.variant)
            if count is not None:
                ranked[edit.variant] = (count, edit.kind)
    return sorted(ranked, key=ranked.__getitem__)[:MAX_RESPELLINGS]


def hanzi_as_pinyin(text: str) -> str:
    """A characters query read as pinyin, to find homophones (王静 -> wangjing)."""
    surname, given = split_name(text)
    syllables = [strip_tones(surname_readings(surname)[0])] if surname else []
    syllables += [strip_tones(_char_reading(c)) for c in given]
    return _NOT_LATIN.sub("", "".join(syllables))
