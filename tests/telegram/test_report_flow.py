"""An anonymous report through Telegram: buttons, a photo fetched through getFile and the
file URL, a review longer than one Telegram message, and the receipt."""

from __future__ import annotations

import io
import re

from PIL import Image
from sqlalchemy import func, select

from bot.app import App
from storage.crypto import ModeratorKeys, decrypt
from storage.models import Report, ReportAttachment
from tests.telegram.conftest import gps_jpeg, running
from tests.telegram.fake_api import FakeBotAPI, Sent

REPORTER = 5550172839
DESCRIPTION = "昨天晚上有人打电话威胁我的家人，要求我退出选举，否则后果自负。"


class Reporter:
    """Walks the report flow, one update at a time, waiting for each answer."""

    def __init__(self, fake: FakeBotAPI, language: str = "en") -> None:
        self.fake, self.language = fake, language

    async def say(self, text: str) -> Sent:
        return await self._next(lambda: self.fake.message(REPORTER, text, language=self.language))

    async def press(self, data: str) -> Sent:
        return await self._next(lambda: self.fake.press(REPORTER, data, language=self.language))

    async def photo(self, data: bytes) -> Sent:
        return await self._next(lambda: self.fake.photo(REPORTER, data, language=self.language))

    async def _next(self, send: object) -> Sent:
        before = len(self.fake.texts(REPORTER))
        send()  # type: ignore[operator]
        return (await self.fake.replies(REPORTER, before + 1))[-1]


async def to_photos(reporter: Reporter, description: str = DESCRIPTION) -> Sent:
    assert "rpt:go" in (await reporter.say("/report")).buttons
    assert "rptc:threatening_calls" in (await reporter.press("rpt:go")).buttons
    await reporter.press("rptc:threatening_calls")
    assert "rptw:this_week" in (await reporter.press("rpta:")).buttons
    await reporter.press("rptw:this_week")
    return await reporter.say(description)


async def test_a_report_with_a_photo_gets_a_receipt(
    reporting: App, fake: FakeBotAPI, report_keys: ModeratorKeys
) -> None:
    reporter = Reporter(fake)
    async with running(reporting, fake):
        assert "rptp:done" in (await to_photos(reporter)).buttons
        assert "1" in (await reporter.photo(gps_jpeg())).text
        assert "rptpub:yes" in (await reporter.press("rptp:done")).buttons
        assert DESCRIPTION in (await reporter.press("rptpub:yes")).text
        receipt = (await reporter.press("rpts:send")).text
    assert re.search(r"\d{4} \d{4} \d{4} \d{4}", receipt), receipt
    assert fake.count("getFile") == 1
    async with reporting.engine.connect() as connection:
        report = (await connection.execute(select(Report))).one()
        attachment = (await connection.execute(select(ReportAttachment))).one()
    photo = decrypt(report_keys.open_report_key(report.sealed_key), attachment.data)
    assert Image.open(io.BytesIO(photo)).size == (64, 48)
    assert b"SpyCam" not in photo
    # Every button press was answered, so no spinner was left turning.
    assert len(fake.answered) == fake.count("answerCallbackQuery") == 7


async def test_a_review_over_4096_characters_is_split_cleanly(
    reporting: App, fake: FakeBotAPI
) -> None:
    lines = [f"第{i}行：有人打电话威胁我的家人，要求我退出选举。🙏" for i in range(150)]
    description = "\n".join(lines)[:3990]
    reporter = Reporter(fake, language="zh-hans")
    async with running(reporting, fake):
        await to_photos(reporter, description)
        await reporter.press("rptp:done")
        before = len(fake.texts(REPORTER))
        fake.press(REPORTER, "rptpub:no", language="zh-hans")
        sent = await fake.replies(REPORTER, before + 2)
        await fake.wait_for(lambda: fake.pending() == 0)
    review = sent[before:]
    assert len(review) == 2
    assert all(len(part.text.encode("utf-16-le")) // 2 <= 4096 for part in review)
    assert review[0].buttons == [] and "rpts:send" in review[1].buttons
    # Cut at a line break: every line of the description is whole in one of the messages.
    assert review[0].text.endswith("。🙏") and review[1].text.startswith("第")
    for line in description.split("\n"):
        assert line in review[0].text or line in review[1].text


async def test_a_report_is_not_started_in_a_group(reporting: App, fake: FakeBotAPI) -> None:
    group = -1001234567
    async with running(reporting, fake):
        fake.message(group, "/report", user_id=REPORTER, chat_type="supergroup", language="en")
        (reply,) = await fake.replies(group, 1)
    assert "private chat" in reply.text
    async with reporting.engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(Report)) == 0
