"""The first citizen commands, end to end through the core, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from bot.adapters.memory import MemoryAdapter
from tests.helpers import labels, payloads, texts

ZH = "zh-hans"
EN = "en-US"


async def test_start_welcomes_in_chinese_by_default(chat: MemoryAdapter) -> None:
    replies = await chat.say("/start", language=None)
    assert "欢迎使用 candibot" in texts(replies)
    assert "演示数据" in texts(replies)
    assert "menu:search" in payloads(replies)


async def test_start_welcomes_in_english_when_the_platform_says_english(
    chat: MemoryAdapter,
) -> None:
    replies = await chat.say("/start", language=EN)
    assert "Welcome to candibot." in texts(replies)
    assert "Demo data" in texts(replies)


async def test_unsupported_platform_language_falls_back_to_chinese(chat: MemoryAdapter) -> None:
    assert "欢迎" in texts(await chat.say("/start", language="fr"))


@pytest.mark.parametrize(
    ("language", "expected"), [(ZH, "按姓名查找候选人"), (EN, "find a candidate by name")]
)
async def test_help_lists_the_commands(chat: MemoryAdapter, language: str, expected: str) -> None:
    text = texts(await chat.say("/help", language=language))
    assert expected in text
    for command in ("/search", "/candidate", "/language", "/cancel"):
        assert command in text


async def test_language_choice_is_kept_for_later_messages(chat: MemoryAdapter) -> None:
    replies = await chat.say("/language", language=ZH)
    assert payloads(replies) == ["lang:zh_CN", "lang:en"]
    assert "I will speak English" in texts(await chat.press("lang:en", language=ZH))
    assert "Welcome to candibot." in texts(await chat.say("/start", language=ZH))
    assert "从现在起我将用中文" in texts(await chat.say("/language 中文", language=ZH))
    assert "欢迎使用" in texts(await chat.say("/start", language=EN))


async def test_language_is_per_user(chat: MemoryAdapter) -> None:
    await chat.say("/language en", user="alice", language=ZH)
    assert "欢迎" in texts(await chat.say("/start", user="bob", language=ZH))
    assert "Welcome" in texts(await chat.say("/start", user="alice", language=ZH))


@pytest.mark.parametrize(
    "query",
    ["zeng lixin", "zenglixin", "Zēng Lìxīn", "ZENG LIXIN", "zlx", "曾立新", "曾立", "ceng lixin"],
)
async def test_search_finds_a_candidate_in_characters_or_pinyin(
    chat: MemoryAdapter, query: str
) -> None:
    text = texts(await chat.say(f"/search {query}", language=EN))
    assert "曾立新 (Zēng Lìxīn)" in text
    assert "voter-nominated (选民联名推荐)" in text


async def test_a_single_match_shows_the_profile_in_chinese(chat: MemoryAdapter) -> None:
    text = texts(await chat.say("/search zeng lixin", language=ZH))
    assert "曾立新（Zēng Lìxīn）" in text
    assert "选民联名推荐" in text
    assert "竞选主张" in text
    assert "选举日：2026年12月15日" in text
    assert "演示" in text


async def test_plain_text_is_a_name_search(chat: MemoryAdapter) -> None:
    assert "曾立新" in texts(await chat.say("zeng lixin", language=EN))


async def test_many_matches_are_listed_and_paged(chat: MemoryAdapter) -> None:
    first = await chat.say("/search wang", language=EN)
    assert "Candidates matching “wang”" in texts(first)
    assert "srch:8" in payloads(first)
    shown_first = {p for p in payloads(first) if p.startswith("cand:")}
    assert len(shown_first) == 8
    second = await chat.press("srch:8", language=EN)
    shown_second = {p for p in payloads(second) if p.startswith("cand:")}
    assert shown_second and not shown_first & shown_second
    assert "srch:0" in payloads(second)


async def test_a_result_button_opens_the_profile(chat: MemoryAdapter) -> None:
    first = await chat.say("/search wang", language=EN)
    target = next(p for p in payloads(first) if p.startswith("cand:"))
    profile = texts(await chat.press(target, language=EN))
    assert "Platform:" in profile
    assert chat.acknowledged, "button presses are acknowledged to the platform"


async def test_candidate_by_number_and_by_name(chat: MemoryAdapter) -> None:
    by_number = texts(await chat.say("/candidate 1", language=EN))
    by_name = texts(await chat.say("/candidate 曾立新", language=EN))
    assert "曾立新" in by_number and "曾立新" in by_name


async def test_candidate_profile_groups_platform_by_topic(chat: MemoryAdapter) -> None:
    text = texts(await chat.say("/candidate 1", language=EN))
    assert "• Housing: " in text
    assert "Electoral district: 第3选区 (2 seats)" in text
    assert "Nominated jointly by 14 voters (Election Law Art. 30)." in text


async def test_candidate_without_argument_asks_then_answers(chat: MemoryAdapter) -> None:
    assert "Which candidate?" in texts(await chat.say("/candidate", language=EN))
    assert "曾立新" in texts(await chat.say("1", language=EN))
    # The flow is over: a bare number means nothing now, and the bot says what it can do.
    assert "did not understand" in texts(await chat.say("1", language=EN))


async def test_unknown_candidate_number_is_explained(chat: MemoryAdapter) -> None:
    assert "There is no candidate number 99999." in texts(
        await chat.say("/candidate 99999", language=EN)
    )
    assert "没有编号为 99999 的候选人" in texts(await chat.say("/candidate 99999", language=ZH))


async def test_search_without_match_suggests_how_to_type(chat: MemoryAdapter) -> None:
    text = texts(await chat.say("/search qqqqq", language=ZH))
    assert "没有找到名为“qqqqq”的候选人" in text
    assert "wang fang" in text


async def test_cancel_ends_a_flow_and_says_so(chat: MemoryAdapter) -> None:
    await chat.say("/search", language=EN)
    assert "Cancelled" in texts(await chat.say("/cancel", language=EN))
    assert "nothing to cancel" in texts(await chat.say("/cancel", language=EN))


@pytest.mark.parametrize(
    ("language", "expected"),
    [(EN, "Did you mean /search?"), (ZH, "你是不是想输入 /search？")],
)
async def test_unknown_command_gets_a_suggestion(
    chat: MemoryAdapter, language: str, expected: str
) -> None:
    assert expected in texts(await chat.say("/serch wang", language=language))


async def test_menu_buttons_lead_somewhere(chat: MemoryAdapter) -> None:
    assert "Whom are you looking for?" in texts(await chat.press("menu:search", language=EN))
    assert "What I can do" in texts(await chat.press("menu:help", language=EN))
    assert "English" in labels(await chat.press("menu:language", language=EN))
