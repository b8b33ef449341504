"""One long message must not stall everyone: the keys a query makes are capped, the
typo tier only runs for short keys, and no statement carries an unbounded IN list.
No timings here (machines are noisy): the tests count keys and statement parameters,
and check that a reply arrives."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.memory import MemoryAdapter
from bot.app import App
from bot.core.inputs import MAX_TEXT_CHARS
from storage.areas import search_areas
from storage.candidates import MAX_MATCHES, search_candidacies
from storage.search_keys import (
    MAX_FUZZY_KEY_LENGTH,
    MAX_KEYS_PER_QUERY,
    MAX_QUERY_KEY_LENGTH,
    MAX_RESPELLINGS,
    hanzi_as_pinyin,
    query_key,
    respellings,
    typo_variants,
)
from storage.unit import unit_factory
from tests.helpers import texts

LENGTH = 3_999
LONG = {
    "latin": ("zhangweiliqiangwangfangchenjing" * 200)[:LENGTH],
    "hanzi": ("王伟李强张芳刘洋陈静曾立新" * 400)[:LENGTH],
    "pinyin": ("Zēng Lìxīn lǚ zhōng-guó " * 200)[:LENGTH],
    "mixed": ("wang王fang芳 li3 強" * 300)[:LENGTH],
}
#: Parameters a statement of the dispatcher or a handler needs besides an IN list of keys.
OTHER_PARAMETERS = 16


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[tuple[list[int], list[int]]]:
    """Records how many parameters each statement run on ``engine`` carries, and the
    parameters that are numbers (limits, offsets)."""
    counts: list[int] = []
    numbers: list[int] = []

    def record(*args: Any) -> None:
        parameters, executemany = args[3], args[5]
        if not executemany:
            counts.append(len(parameters or ()))
            numbers.extend(p for p in parameters or () if isinstance(p, int))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield counts, numbers
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


@pytest.mark.parametrize("kind", sorted(LONG))
def test_a_long_query_makes_a_short_key(kind: str) -> None:
    wanted = query_key(LONG[kind])
    assert wanted is not None
    assert 0 < len(wanted.key) <= MAX_QUERY_KEY_LENGTH


@pytest.mark.parametrize("kind", sorted(LONG))
def test_a_long_query_makes_a_bounded_number_of_variants(kind: str) -> None:
    wanted = query_key(LONG[kind])
    assert wanted is not None
    assert len(typo_variants(wanted.key)) <= MAX_KEYS_PER_QUERY
    assert len(hanzi_as_pinyin(wanted.key)) <= 6 * MAX_QUERY_KEY_LENGTH  # zhuang: 6 letters


def test_typo_variants_stop_above_the_fuzzy_length() -> None:
    assert typo_variants(LONG["latin"]) == set()
    assert typo_variants("x" * (MAX_FUZZY_KEY_LENGTH + 1)) == set()
    # The worst key the fuzzy tier still takes: every letter invites a dialect merger.
    worst = ("zhangshengchengnlrhf" * 2)[:MAX_FUZZY_KEY_LENGTH]
    assert 0 < len(typo_variants(worst)) <= MAX_KEYS_PER_QUERY


def test_a_mistyped_key_is_looked_up_by_a_few_respellings_at_most() -> None:
    # "zang" one letter from many syllables; the longest key still respelt; a long one.
    for key in ("zangx", "zhangshengch", LONG["latin"]):
        assert len(respellings(key)) <= MAX_RESPELLINGS


async def test_a_mistyped_name_reads_a_bounded_number_of_rows(demo_engine: AsyncEngine) -> None:
    with statements(demo_engine) as (counts, numbers):
        async with unit_factory(demo_engine)() as unit:
            page = await search_candidacies(unit.session, "wnag")
    assert page.fuzzy and page.items
    # exact, prefix, given, typo variants, one range read per respelling, the page's rows;
    # on PostgreSQL a range read also turns a planner option off and back on
    assert len(counts) <= 3 * (2 + MAX_RESPELLINGS) + 2
    assert numbers and max(numbers) <= 4 * MAX_MATCHES


def test_short_names_keep_their_typo_variants() -> None:
    assert "zenglixin" in typo_variants("zenglixn")
    assert "zenglixin" in typo_variants("zenlixin")  # eng and en merge


@pytest.mark.parametrize("kind", sorted(LONG))
async def test_long_queries_search_with_bounded_statements(
    demo_engine: AsyncEngine, kind: str
) -> None:
    with statements(demo_engine) as (counts, _):
        async with unit_factory(demo_engine)() as unit:
            await search_candidacies(unit.session, LONG[kind])
            await search_areas(unit.session, LONG[kind])  # /area and the report's place step
    assert counts and max(counts) <= MAX_KEYS_PER_QUERY + OTHER_PARAMETERS


@pytest.mark.parametrize("kind", sorted(LONG))
@pytest.mark.parametrize("command", ["", "/search ", "/area ", "/topics "])
async def test_a_long_message_gets_a_reply(
    app: App, chat: MemoryAdapter, command: str, kind: str
) -> None:
    message = (command + LONG[kind])[:MAX_TEXT_CHARS]
    with statements(app.engine) as (counts, _):
        replies = await chat.say(message)
    assert texts(replies).strip()
    assert "something went wrong" not in texts(replies)
    assert "too long" not in texts(replies)
    assert counts and max(counts) <= MAX_KEYS_PER_QUERY + OTHER_PARAMETERS


async def test_a_forged_page_offset_reads_a_bounded_number_of_persons(
    demo_engine: AsyncEngine,
) -> None:
    with statements(demo_engine) as (_, numbers):
        async with unit_factory(demo_engine)() as unit:
            page = await search_candidacies(unit.session, "w", offset=10**9)
    assert page.items == () and not page.has_more
    assert numbers and max(numbers) <= 4 * MAX_MATCHES  # a few keys per person
