"""Issue 11, finding 10: a flood held in quarantine does not bury the real reports that
came after it. /queue serves new, in-review and answered reports first; /queue
quarantine opens the quarantine itself."""

from __future__ import annotations

from sqlalchemy import update

from bot.adapters.memory import MemoryAdapter
from bot.app import App
from storage.models import Report, ReportStatus
from storage.unit import unit_factory
from tests.helpers import texts
from tests.staffed import ALICE, CAROL, ZH, attached, staffed_app
from tests.test_reports import file_a_report


async def _flood_then_real(db_url: str) -> tuple[App, MemoryAdapter]:
    """Reports 1 and 2 arrived over a flood cap; report 3 is a real one, filed after."""
    app = await staffed_app(db_url)
    chat = attached(app)
    for _ in range(3):
        await file_a_report(chat, photo=False)
    async with unit_factory(app.engine)() as unit:
        await unit.session.execute(
            update(Report).where(Report.id < 3).values(status=ReportStatus.quarantined)
        )
    return app, chat


async def test_real_reports_are_served_before_quarantined_ones(db_url: str) -> None:
    app, chat = await _flood_then_real(db_url)
    assert "Report 3" in texts(await chat.say("/queue", user=ALICE))
    # Skipping the real one brings the quarantine only once nothing else waits.
    shown = texts(await chat.press("q:skip:3", user=ALICE))
    assert "Report 1" in shown and "flood cap" in shown
    await app.close()


async def test_an_answered_report_comes_before_the_quarantine(db_url: str) -> None:
    app, chat = await _flood_then_real(db_url)
    async with unit_factory(app.engine)() as unit:
        await unit.session.execute(
            update(Report).where(Report.id == 3).values(status=ReportStatus.in_review)
        )
    assert "Report 3" in texts(await chat.say("/queue", user=ALICE))
    await app.close()


async def test_the_quarantine_has_its_own_view(db_url: str) -> None:
    app, chat = await _flood_then_real(db_url)
    shown = texts(await chat.say("/queue quarantine", user=ALICE))
    assert "Report 1" in shown and "flood cap" in shown
    # Skipping in the quarantine stays in the quarantine.
    assert "Report 2" in texts(await chat.press("q:skip:1", user=ALICE))
    assert "报告 1" in texts(await chat.say("/queue 隔离", user=CAROL, language=ZH))
    # Report 2 is Alice's, so once Carol skips report 1 nothing else is hers to take,
    # and she is told that another moderator holds one.
    skipped = texts(await chat.press("q:skip:1", user=CAROL))
    assert "Nothing else waits in the quarantine for you now." in skipped
    assert "Items other moderators hold now: 1." in skipped
    await app.close()


async def test_an_escalated_quarantined_report_joins_the_review_queue(db_url: str) -> None:
    app, chat = await _flood_then_real(db_url)
    async with unit_factory(app.engine)() as unit:
        await unit.session.execute(update(Report).where(Report.id == 2).values(escalated=True))
    # Escalated, it is the administrators' (issue 13, item 10): first in Carol's queue.
    assert "Report 2" in texts(await chat.say("/queue", user=CAROL))
    await app.close()
