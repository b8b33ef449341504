"""Name search as people type names: a given name alone finds whoever has it, and a
mistyped syllable ("zneg" for zeng) gets "did you mean" names; in both languages, on
SQLite and PostgreSQL, through the whole bot (demo data)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.memory import MemoryAdapter
from bot.app import App
from storage.candidates import search_candidacies
from storage.dataset import load_dataset
from storage.unit import unit_factory
from tests.helpers import labels, payloads, texts

EN = "en"
ZH = "zh-hans"
ZENG = "曾立新 (Zēng Lìxīn) · 西湖区, electoral district 3"
ZENG_ZH = "曾立新（Zēng Lìxīn）· 西湖区第3选区"
NOT_FOUND = ("No candidate", "I found no candidate", "没有名为", "没有找到名为")


GIVEN = ["立新", "lixin", "li xin", "Lìxīn", "LI XIN", "li4 xin1"]


@pytest.mark.parametrize(("language", "profile"), [(EN, ZENG), (ZH, ZENG_ZH)])
async def test_a_given_name_alone_finds_the_candidate(
    chat: MemoryAdapter, language: str, profile: str
) -> None:
    for given in GIVEN:
        text = texts(await chat.say(given, language=language))
        assert profile in text, (given, text)  # the only 立新: the profile at once
        assert not any(miss in text for miss in NOT_FOUND), given
        assert "立新街道" not in text, "a place is no longer offered for a person's name"


@pytest.mark.parametrize(
    ("language", "heading"),
    [(EN, "Candidates matching “jing”:"), (ZH, "与“jing”匹配的候选人：")],
)
async def test_a_given_name_shared_by_several_lists_them_all(
    chat: MemoryAdapter, language: str, heading: str
) -> None:
    replies = await chat.say("jing", language=language)
    assert heading in texts(replies)
    assert [label.split(" ·")[0] for label in labels(replies)] == ["王静", "王婧"]


async def test_a_given_name_in_characters_is_exact(chat: MemoryAdapter) -> None:
    # 静 is 王静's given name; 王婧 sounds the same but is written otherwise.
    assert "王静 (Wáng Jìng)" in texts(await chat.say("/search 静", language=EN))


@pytest.mark.parametrize(
    ("language", "heading"),
    [
        (EN, "No candidate is called “{typo}”. Did you mean:"),
        (ZH, "没有名为“{typo}”的候选人。你要找的是不是："),
    ],
)
async def test_a_mistyped_syllable_gets_did_you_mean(
    chat: MemoryAdapter, language: str, heading: str
) -> None:
    # A surname alone, a given name alone, a whole name: swapped or left-out letters.
    for typo in ("zneg", "lxiin", "zenglxin"):
        replies = await chat.say(typo, language=language)
        assert heading.format(typo=typo) in texts(replies), typo
        assert "cand:1" in payloads(replies), typo  # 曾立新


@pytest.mark.parametrize("language", [EN, ZH])
async def test_a_mistyped_surname_suggests_everyone_with_that_surname(
    chat: MemoryAdapter, language: str
) -> None:
    replies = await chat.say("wnag", language=language)
    names = [label.split(" ·")[0] for label in labels(replies) if "·" in label]
    assert len(names) == 8 and all(name.startswith("王") for name in names)
    assert "srch:8" in payloads(replies), "more Wangs on the next page"


async def test_given_name_homophones_are_suggested(chat: MemoryAdapter) -> None:
    text = texts(await chat.say("立鑫", language=EN))
    assert "No candidate is called “立鑫”. Did you mean:" in text and "曾立新" in text


def _district_of(*names: str) -> dict[str, object]:
    """A dataset: one more district (in 滨江区), with candidates of these names."""
    candidates = [
        {"key": f"p{i}", "name": name, "stage": "official", "nomination": "party",
         "nominators": None}
        for i, name in enumerate(names)
    ]  # fmt: skip
    district = {"key": "d", "number": 1, "name": "第1选区", "seats": 1, "areas": [],
                "candidates": candidates}  # fmt: skip
    return {
        "areas": [{"code": "330108", "name": "滨江区", "level": "county", "parent": None}],
        "elections": [
            {"key": "e", "area": "330108", "level": "county", "election_day": None,
             "status": "expected", "source": "test", "updated": "2026-11-01",
             "districts": [district]}
        ],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("language", "offer"),
    [(EN, "Or one of these places?"), (ZH, "或者，你要找的是这些地方吗？")],
)
async def test_a_mistyped_place_is_offered_beside_names(
    app: App, chat: MemoryAdapter, language: str, offer: str
) -> None:
    # "xhiu" mends to xihu: the given name of 林西湖, and 西湖区 (a place): offer both.
    async with unit_factory(app.engine)() as unit:
        await load_dataset(unit.session, _district_of("林西湖"))
    replies = await chat.say("xhiu", language=language)
    assert offer in texts(replies)
    assert "林西湖" in labels(replies)[0] and "area:330106" in payloads(replies)


@pytest.mark.parametrize(
    ("language", "offer"),
    [(EN, "Did you mean one of these places?"), (ZH, "你要找的是不是这些地方？")],
)
async def test_a_mistyped_place_alone_is_offered(
    chat: MemoryAdapter, language: str, offer: str
) -> None:
    text = texts(replies := await chat.say("xhiu", language=language))
    assert text == offer and "area:330106" in payloads(replies)


@pytest.mark.parametrize("language", [EN, ZH])
async def test_a_place_name_in_pinyin_shows_the_place(chat: MemoryAdapter, language: str) -> None:
    text = texts(await chat.say("xihu", language=language))
    assert "浙江省 › 杭州市 › 西湖区" in text
    assert not any(miss in text for miss in NOT_FOUND)


async def test_surnames_come_before_given_names(engine: AsyncEngine) -> None:
    """ "li" is first a surname (李明), then a given name (王丽): prefix before given."""
    async with unit_factory(engine)() as unit:
        await load_dataset(unit.session, _district_of("王丽", "李明", "张力"))
        page = await search_candidacies(unit.session, "li")
    assert [item.name for item in page.items] == ["李明", "王丽", "张力"]
    assert not page.fuzzy
