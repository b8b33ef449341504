"""A report's draft survives whatever the reporter types: answers off the menu, the
incident typed early, commands in the middle, a second /report. In both languages."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.adapters.memory import MemoryAdapter
from bot.app import App, build_app
from storage.dataset import load_dataset, read_packaged
from storage.unit import unit_factory
from tests.conftest import TEST_KEY
from tests.helpers import payloads, texts
from tests.test_kept_replies import reporting_policy

ZH, EN = "zh-hans", "en"
INCIDENT = {
    ZH: "昨天晚上有人打电话威胁我的家人，要求我退出选举，对方隐藏了号码。",
    EN: "Last night someone phoned my family and threatened them unless I withdraw.",
}
ASK_CATEGORY = {ZH: "发生了什么", EN: "What happened? Choose the closest kind."}
HINT = {ZH: "请用下面的按钮回答。你的草稿还在。", EN: "Please answer with one of the buttons"}


@pytest.fixture
async def bot(db_url: str) -> AsyncIterator[App]:
    app = await build_app(db_url, TEST_KEY, migrate=False, policy=reporting_policy())
    async with unit_factory(app.engine)() as unit:
        await load_dataset(unit.session, read_packaged())
    yield app
    await app.close()


@pytest.fixture
def chat(bot: App) -> MemoryAdapter:
    adapter = MemoryAdapter()
    adapter.attach(bot.sink_for(adapter))
    return adapter


class Reporter:
    def __init__(self, chat: MemoryAdapter, language: str) -> None:
        self.chat, self.language = chat, language

    async def say(self, text: str) -> str:
        return texts(await self.chat.say(text, user="r", language=self.language))

    async def press(self, payload: str) -> list[str]:
        return payloads(await self.chat.press(payload, user="r", language=self.language))

    async def buttons_after(self, text: str) -> list[str]:
        return payloads(await self.chat.say(text, user="r", language=self.language))

    async def to_category(self) -> None:
        assert "rpt:go" in await self.buttons_after("/report")
        assert "rptc:threatening_calls" in await self.press("rpt:go")

    async def to_photos(self) -> None:
        """Through every step to the photos, with the incident described."""
        await self.to_category()
        await self.press("rptc:threatening_calls")
        await self.press("rpta:")
        await self.press("rptw:today")
        await self.say(INCIDENT[self.language])


LANGUAGES = pytest.mark.parametrize("language", [ZH, EN])


@LANGUAGES
@pytest.mark.parametrize("answer", ["好的", "99", "ok", "你好", "🙂", "?"])
async def test_an_answer_off_the_menu_asks_again_and_keeps_the_draft(
    chat: MemoryAdapter, language: str, answer: str
) -> None:
    reporter = Reporter(chat, language)
    await reporter.to_category()

    reply = await reporter.say(answer)

    assert HINT[language] in reply and ASK_CATEGORY[language] in reply
    assert "no candidate" not in reply and "没有" not in reply
    assert "rpta:" in await reporter.press("rptc:threatening_calls")


@LANGUAGES
async def test_the_incident_typed_early_becomes_the_description(
    chat: MemoryAdapter, language: str
) -> None:
    reporter = Reporter(chat, language)
    await reporter.to_category()

    kept = await reporter.say(INCIDENT[language])
    assert ASK_CATEGORY[language] in kept
    await reporter.press("rptc:threatening_calls")
    await reporter.press("rpta:")
    photos = await reporter.press("rptw:this_week")

    assert "rptp:done" in photos  # no second "describe what happened"
    await reporter.press("rptp:done")
    review = texts(await chat.press("rptpub:no", user="r", language=language))
    assert INCIDENT[language] in review


@pytest.mark.parametrize(
    ("language", "typed", "label"),
    [(ZH, "昨天晚上", "本周"), (EN, "yesterday evening", "This week")],
)
async def test_when_can_be_answered_in_words(
    chat: MemoryAdapter, language: str, typed: str, label: str
) -> None:
    reporter = Reporter(chat, language)
    await reporter.to_category()
    await reporter.press("rptc:threatening_calls")
    await reporter.press("rpta:")

    describe = await reporter.say(typed)
    assert "rpt:cancel" in await reporter.buttons_after(INCIDENT[language]) or describe
    await reporter.press("rptp:done")
    review = texts(await chat.press("rptpub:no", user="r", language=language))
    assert label in review


@pytest.mark.parametrize(
    ("language", "typed"), [(ZH, "来自雇主的压力"), (EN, "pressure from an employer")]
)
async def test_a_button_label_typed_out_counts_as_a_press(
    chat: MemoryAdapter, language: str, typed: str, bot: App
) -> None:
    reporter = Reporter(chat, language)
    await reporter.to_category()

    assert "rpta:" in await reporter.buttons_after(typed)


@LANGUAGES
async def test_a_command_in_the_middle_is_answered_and_the_draft_kept(
    chat: MemoryAdapter, language: str
) -> None:
    reporter = Reporter(chat, language)
    await reporter.to_category()
    await reporter.press("rptc:threatening_calls")

    answered = await chat.say("/rights", user="r", language=language)

    assert "选举中的权利" in texts(answered) or "rights" in texts(answered)
    assert "rpt:resume" in payloads(answered)
    again = await chat.press("rpt:resume", user="r", language=language)
    assert "rpta:" in payloads(again)  # the step it was at: where did it happen?
    assert "rptw:this_week" in await reporter.press("rpta:")


@LANGUAGES
async def test_a_command_that_would_start_another_flow_keeps_the_draft(
    chat: MemoryAdapter, language: str
) -> None:
    reporter = Reporter(chat, language)
    await reporter.to_category()

    answered = await chat.say("/search", user="r", language=language)

    assert "rpt:resume" in payloads(answered)
    assert "rpta:" in await reporter.press("rptc:threatening_calls")


@LANGUAGES
async def test_report_again_asks_before_discarding_the_draft(
    chat: MemoryAdapter, language: str
) -> None:
    reporter = Reporter(chat, language)
    await reporter.to_category()
    await reporter.press("rptc:threatening_calls")

    asked = await reporter.buttons_after("/report")

    assert asked == ["rpt:resume", "rpt:restart"]
    assert "rpta:" in await reporter.press("rpt:resume")
    assert "rpt:go" in await reporter.press("rpt:restart")


@LANGUAGES
async def test_cancel_still_discards_the_draft(chat: MemoryAdapter, language: str) -> None:
    reporter = Reporter(chat, language)
    await reporter.to_category()

    cancelled = await reporter.say("/cancel")

    assert "rpt:resume" not in cancelled
    assert await reporter.press("rptc:threatening_calls") == []  # expired: no draft


@LANGUAGES
async def test_words_sent_at_the_photo_step_join_the_description(
    chat: MemoryAdapter, language: str
) -> None:
    reporter = Reporter(chat, language)
    await reporter.to_photos()

    added = await reporter.say("He called again at 23:10.")
    await reporter.press("rptp:done")
    review = texts(await chat.press("rptpub:no", user="r", language=language))

    assert "23:10" in review and INCIDENT[language] in review
    assert added


@LANGUAGES
async def test_the_description_can_be_changed_at_the_review(
    chat: MemoryAdapter, language: str
) -> None:
    reporter = Reporter(chat, language)
    await reporter.to_photos()
    await reporter.press("rptp:done")
    assert "rpte:description" in await reporter.press("rptpub:yes")

    await reporter.press("rpte:description")
    review = await reporter.say("A man in uniform came to my door and told me to withdraw.")

    assert "A man in uniform" in review and INCIDENT[language] not in review
    assert "rpts:send" in await reporter.buttons_after("ok")
