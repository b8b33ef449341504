"""Each interface speaks its own language: no English codes, tokens or separators in
the Chinese one, and names in characters come with their pinyin in the English one."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import date

import pytest

from bot.adapters.console import ConsoleAdapter
from bot.app import App
from bot.core.events import ChatRef
from bot.core.replies import Reply
from storage.models import PublishedIncident
from storage.unit import unit_factory
from tests.helpers import texts
from tests.staffed import ALICE, CAROL, EN, ZH, attached, staffed_app

TINY_PNG = bytes.fromhex("89504e470d0a1a0a")


@pytest.fixture
async def staffed(db_url: str) -> AsyncIterator[App]:
    app = await staffed_app(db_url)
    yield app
    await app.close()


async def test_the_console_says_what_a_picture_shows_in_the_readers_words() -> None:
    out = io.StringIO()
    console = ConsoleAdapter(io.BytesIO(), out, language="zh_CN")

    await console.send(
        ChatRef("console", "1", True),
        Reply.of("统计", image=TINY_PNG, image_alt="图表：每周报告数"),
    )

    assert "图表：每周报告数" in out.getvalue() and "PNG" not in out.getvalue()


async def test_demo_data_is_named_in_the_readers_language(app: App) -> None:
    chat = attached(app)
    chinese = texts(await chat.say("/elections 进贤县", language=ZH))
    english = texts(await chat.say("/elections 进贤县", language=EN))

    assert "来源：演示数据" in chinese and "demo data" not in chinese
    assert "Source: demo data" in english and "演示数据" not in english


async def test_the_audit_log_and_stats_speak_chinese_to_a_chinese_admin(
    staffed: App,
) -> None:
    chat = attached(staffed)
    await chat.say("/stats", user=ALICE, language=ZH)

    audit = texts(await chat.say("/audit", user=CAROL, language=ZH))
    stats = texts(await chat.say("/stats", user=ALICE, language=ZH))

    assert "查看统计" in audit and "view_stats" not in audit
    assert "; " not in stats and "月" in stats


async def test_a_summary_in_the_other_language_is_marked(app: App) -> None:
    async with unit_factory(app.engine)() as unit:
        unit.session.add(
            PublishedIncident(
                category="threatening_calls", area_code="330106", week=date(2026, 11, 23),
                summary="A candidate's family received threatening calls.",
            )
        )  # fmt: skip
    chat = attached(app)

    chinese = texts(await chat.say("/incidents", language=ZH))
    english = texts(await chat.say("/incidents", language=EN))

    assert "threatening calls. （暂无译文）" in chinese
    assert "(not translated)" not in english


async def test_places_and_candidates_carry_pinyin_for_english_readers(app: App) -> None:
    chat = attached(app)
    [provinces] = await chat.say("/area", language=EN)
    [district, *_] = await chat.say("/area 西湖区", language=EN)
    [chinese, *_] = await chat.say("/area 西湖区", language=ZH)

    labels = [b.label for row in provinces.buttons for b in row]
    assert "浙江省 Zhèjiāng Shěng" in labels
    assert any(b.label == "曾立新 Zēng Lìxīn" for row in district.buttons for b in row)
    assert any(b.label == "曾立新" for row in chinese.buttons for b in row)
