"""Lists number candidates as their buttons are ordered, and every listed candidate has
a button: answering "3" (Matrix numbers the buttons) opens the third one listed."""

from __future__ import annotations

import re

import pytest

from bot.adapters.memory import MemoryAdapter
from bot.core.replies import Reply
from tests.helpers import texts


def _numbered(reply: Reply) -> list[tuple[int, str]]:
    return [
        (int(m.group(1)), m.group(2))
        for m in re.finditer(r"^\s*(\d+)\. (\S+?) ?[（(]", reply.text.plain, re.MULTILINE)
    ]


def _candidate_buttons(reply: Reply) -> list[str]:
    return [b.label for row in reply.buttons for b in row if b.payload.startswith("cand:")]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("ask", ["/area 西湖区", "/area 天宁区", "/search 王", "/search wang"])
async def test_numbers_in_a_list_are_the_positions_of_its_buttons(
    chat: MemoryAdapter, ask: str, language: str
) -> None:
    [reply, *_] = await chat.say(ask, language=language)
    numbered = _numbered(reply)
    buttons = _candidate_buttons(reply)

    assert numbered, texts([reply])
    assert [n for n, _ in numbered] == list(range(1, len(numbered) + 1))
    assert len(buttons) == len(numbered)
    for (_, name), label in zip(numbered, buttons, strict=True):
        assert label.startswith(name)


async def test_every_candidate_of_a_large_district_has_a_button(chat: MemoryAdapter) -> None:
    """The demo's largest district lists more than four candidates; each gets a button."""
    largest = 0
    for place in ("西湖区", "天宁区", "海淀区", "朝阳区", "进贤县", "三墩镇"):
        [reply, *_] = await chat.say(f"/area {place}")
        largest = max(largest, len(_numbered(reply)))
        assert len(_candidate_buttons(reply)) == len(_numbered(reply)), place
    assert largest > 4


async def test_a_profile_shows_no_list_number(chat: MemoryAdapter) -> None:
    profile = texts(await chat.say("/search 曾立新"))
    assert profile.startswith("曾立新")
