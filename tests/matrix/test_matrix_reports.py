"""An anonymous report over Matrix: with a photo in an encrypted direct chat, and across
bot restarts, where the flow continues and no event is answered twice."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import func, select

from bot.app import App
from storage.models import Report, ReportAttachment
from tests.matrix.citizen import Citizen, option_number
from tests.matrix.conftest import RunningBot
from tests.test_reports import gps_jpeg

DESCRIPTION = "昨天晚上有人打电话威胁我的家人，要求我退出选举，否则后果自负。"


async def _count(app: App, model: type[Report] | type[ReportAttachment]) -> int:
    async with app.engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(model)) or 0)


async def _categories(app: App) -> list[str]:
    async with app.engine.connect() as connection:
        return [str(c) for c in await connection.scalars(select(Report.category))]


async def _begin(citizen: Citizen, room: str) -> str:
    """From /report to the category question; returns that question."""
    await citizen.ask(room, "/language en", "from now on")
    safety = await citizen.ask(room, "/report", "I understand, continue")
    return await citizen.ask(room, option_number(safety, "I understand"), "What happened?")


async def _finish(citizen: Citizen, room: str, categories: str, *, photo: bool) -> str:
    """From the category question to the receipt; returns the receipt's 16 digits."""
    where = await citizen.ask(room, option_number(categories, "call"), "Where did it happen?")
    assert "Skip" in where
    places = await citizen.ask(room, "西湖区", "Which one?")
    when = await citizen.ask(room, option_number(places, "西湖区"), "When did it happen?")
    await citizen.ask(room, option_number(when, "week"), "Describe what happened")
    photos = await citizen.ask(room, DESCRIPTION, "You may add up to")
    if photo:
        start = citizen.mark()
        await citizen.send_image(room, gps_jpeg(), encrypted=True)
        photos = await citizen.heard_until(start, "Photo 1 of")
    publish = await citizen.ask(room, option_number(photos, "photos"), "May the moderators publish")
    review = await citizen.ask(room, option_number(publish, "No, keep it"), "Please check")
    assert DESCRIPTION in review
    sent = await citizen.ask(room, "Send the report", "Your report was received.")
    match = re.search(r"(\d{4} \d{4} \d{4} \d{4})", sent)
    assert match, sent
    return match.group(1)


async def test_report_with_a_photo_in_an_encrypted_room(
    bot: RunningBot, citizen: Citizen, matrix_app: App
) -> None:
    room = await citizen.direct_chat(encrypted=True)
    categories = await _begin(citizen, room)
    receipt = await _finish(citizen, room, categories, photo=True)
    assert await _count(matrix_app, Report) == 1
    assert await _count(matrix_app, ReportAttachment) == 1
    status = await citizen.ask(room, f"/status {receipt}", "received")
    assert receipt not in status
    assert all(said.encrypted for said in citizen.heard)


async def test_report_flow_continues_after_a_bot_restart(
    bot: RunningBot, citizen: Citizen, matrix_app: App
) -> None:
    room = await citizen.direct_chat(encrypted=True)
    categories = await _begin(citizen, room)
    await bot.stop()
    heard = citizen.mark()
    await bot.start()
    await bot.synced()
    await citizen.quiet(1.5)
    assert citizen.mark() == heard, "a restart answered something again"
    # The options are read back from the room: "1" still means the first category.
    await _finish(citizen, room, categories, photo=False)
    assert await _count(matrix_app, Report) == 1
    assert await _categories(matrix_app) == ["threatening_calls"]


async def test_redelivered_events_are_not_answered_twice(
    bot: RunningBot, citizen: Citizen, matrix_app: App, caplog: pytest.LogCaptureFixture
) -> None:
    room = await citizen.direct_chat(encrypted=True)
    await citizen.ask(room, "/language en", "from now on")
    before = await matrix_app.cursors.load("matrix", "since")
    assert before is not None
    categories = await _begin(citizen, room)
    await bot.stop()
    # As if the bot had died before storing the token of the syncs since `before`.
    await matrix_app.cursors.save("matrix", "since", before)
    heard = citizen.mark()
    caplog.set_level(logging.INFO, logger="bot.core.dispatcher")
    await bot.start()
    await citizen.quiet(2)
    assert citizen.mark() == heard, "a redelivered event was answered again"
    assert caplog.text.count("replies not sent before") >= 2
    await _finish(citizen, room, categories, photo=False)
    assert await _count(matrix_app, Report) == 1
