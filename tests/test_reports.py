"""Anonymous incident reports end to end, on SQLite and PostgreSQL: the flow in both
languages, receipts, encryption at rest, photos without metadata, flood caps, purge,
key rotation, and no trace of the sender anywhere."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from PIL import ExifTags, Image
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url

from bot.adapters.memory import MemoryAdapter
from bot.app import App, build_app
from bot.core.ephemeral import MemoryEphemeral
from bot.core.events import ChatRef, PhotoMessage, SenderRef, UnsupportedMessage
from handlers.policy import Policy, ReportSetup
from storage.crypto import ModeratorKeys, decrypt, generate
from storage.dataset import load_dataset, read_packaged
from storage.models import (
    Base,
    Conversation,
    ProcessedEvent,
    Report,
    ReportAttachment,
    ReportMessage,
    ReportStatus,
)
from storage.receipts import ReceiptHasher
from storage.reports import Caps
from storage.retention import Retention, purge
from storage.unit import unit_factory
from tests.conftest import FIXED_NOW, TEST_KEY
from tests.helpers import Clock, payloads, texts

SENDER = "5550172839"
DESCRIPTION = "昨天晚上有人打电话威胁我的家人，要求我退出选举，否则后果自负。"
EN, ZH = "en", "zh-hans"


def gps_jpeg() -> bytes:
    image = Image.new("RGB", (64, 48), "red")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (30.0, 15.0, 7.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (120.0, 8.0, 1.25)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


KEYS = ModeratorKeys(generate().public_key, None)


def _keys() -> ModeratorKeys:
    private = generate()
    return ModeratorKeys(private.public_key, private)


def _policy(keys: ModeratorKeys, caps: Caps | None = None) -> Policy:
    # Cheap Argon2 parameters: the tests check behaviour, not cost.
    hasher = ReceiptHasher(b"s" * 16, time_cost=1, memory_kib=8)
    return Policy(
        clock=lambda: FIXED_NOW,
        reports=ReportSetup(keys=keys, hasher=hasher, caps=caps or Caps()),
    )


@pytest.fixture
def keys() -> ModeratorKeys:
    return _keys()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def memory(clock: Clock) -> MemoryEphemeral:
    return MemoryEphemeral(clock)


@pytest.fixture
async def reporting(
    db_url: str, keys: ModeratorKeys, memory: MemoryEphemeral
) -> AsyncIterator[App]:
    app = await build_app(db_url, TEST_KEY, migrate=False, policy=_policy(keys), ephemeral=memory)
    async with unit_factory(app.engine)() as unit:
        await load_dataset(unit.session, read_packaged())
    yield app
    await app.close()


@pytest.fixture
def chat(reporting: App) -> MemoryAdapter:
    adapter = MemoryAdapter(language=EN)
    adapter.attach(reporting.sink_for(adapter))
    return adapter


async def send_photo(chat: MemoryAdapter, data: bytes, language: str = EN) -> str:
    c, s = chat.refs(SENDER)
    event = PhotoMessage(chat=c, sender=s, language=language, event_id=chat.next_id(), image=data)
    return texts(await chat.inject(event))


async def file_a_report(
    chat: MemoryAdapter, language: str = EN, *, photo: bool = True, place: str = "西湖区",
    user: str = SENDER,
) -> str:  # fmt: skip
    """The whole flow; returns the receipt's 16 digits."""
    say = lambda text: chat.say(text, user=user, language=language)  # noqa: E731
    press = lambda payload: chat.press(payload, user=user, language=language)  # noqa: E731
    start = await say("/report")
    assert "rpt:go" in payloads(start)
    assert "rptc:threatening_calls" in payloads(await press("rpt:go"))
    await press("rptc:threatening_calls")
    places = await say(place)
    area = next(p for p in payloads(places) if p.startswith("rpta:") and p != "rpta:")
    assert "rptw:this_week" in payloads(await press(area))
    await press("rptw:this_week")
    assert "rptp:done" in payloads(await say(DESCRIPTION))
    if photo:
        await send_photo(chat, gps_jpeg(), language)
    assert "rptpub:yes" in payloads(await press("rptp:done"))
    review = texts(await press("rptpub:yes"))
    assert DESCRIPTION in review
    receipt_text = texts(await press("rpts:send"))
    match = re.search(r"(\d{4} \d{4} \d{4} \d{4})", receipt_text)
    assert match, receipt_text
    return match.group(1).replace(" ", "")


async def _dump(app: App) -> str:
    rows = []
    async with app.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in await connection.execute(select(table)):
                rows += [repr(value) for value in row]
    return "\n".join(rows)


@pytest.mark.parametrize(
    ("language", "received", "safety"),
    [
        (EN, "Your report was received. Thank you.", "Telegram's servers can read this chat"),
        (ZH, "已收到你的报告，谢谢。", "Telegram 的服务器可以读取本对话"),
    ],
)
async def test_full_report_flow_gives_a_receipt(
    reporting: App,
    chat: MemoryAdapter,
    keys: ModeratorKeys,
    language: str,
    received: str,
    safety: str,
) -> None:
    assert safety in texts(await chat.say("/report", user="other", language=language))
    receipt = await file_a_report(chat, language)
    assert len(receipt) == 16
    assert received in texts(chat.sent[-1:] and [chat.sent[-1].reply])
    async with unit_factory(reporting.engine)() as unit:
        report = await unit.session.scalar(select(Report))
        assert report is not None
        assert report.category == "threatening_calls" and report.area_code == "330106"
        assert report.happened == "this_week" and report.created_on == date(2026, 11, 28)
        assert report.may_publish and report.status == ReportStatus.new
        report_key = keys.open_report_key(report.sealed_key)
        assert decrypt(report_key, report.body).decode() == DESCRIPTION
        attachment = await unit.session.scalar(select(ReportAttachment))
        assert attachment is not None
        photo = decrypt(report_key, attachment.data)
        assert not Image.open(io.BytesIO(photo)).getexif()
        assert b"SpyCam" not in photo and b"Exif" not in photo


async def test_report_row_holds_no_sender_id_and_no_plaintext(
    reporting: App, chat: MemoryAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    receipt = await file_a_report(chat)
    await chat.say(f"/status {receipt}", user=SENDER, language=EN)
    await chat.press("rstat:add", user=SENDER, language=EN)
    await chat.say("他们又打来了，号码是隐藏的。", user=SENDER, language=EN)
    dump = await _dump(reporting)
    logs = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    secrets = [
        SENDER,
        DESCRIPTION,
        "他们又打来了",
        receipt,
        " ".join(receipt[i : i + 4] for i in range(0, 16, 4)),
    ]
    for secret in secrets:
        assert secret not in dump, secret
        assert secret not in logs, secret
    url = make_url(reporting.engine.url)
    if url.get_backend_name() == "sqlite" and url.database:
        await reporting.engine.dispose()
        for suffix in ("", "-wal"):
            path = Path(url.database + suffix)
            if path.exists():
                blob = path.read_bytes()
                for secret in secrets:
                    assert secret.encode() not in blob, (path, secret)


async def test_a_report_leaves_no_conversation_row_and_no_draft(
    reporting: App, chat: MemoryAdapter, memory: MemoryEphemeral
) -> None:
    await file_a_report(chat, photo=False)
    assert memory.count("draft:") == 0
    async with reporting.engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(Conversation)) == 0


async def test_a_logged_secret_is_redacted(
    reporting: App, chat: MemoryAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    """The log filter is a safety net: even a careless log line loses the values."""
    caplog.set_level(logging.DEBUG)

    @reporting.dispatcher.router.command("leak")
    async def leak(ctx: object) -> None:
        logging.getLogger("careless").warning("user %s said %s", SENDER, "/leak secret words")

    await chat.say("/leak secret words", user=SENDER)
    assert SENDER not in caplog.text and "secret words" not in caplog.text
    assert "[redacted]" in caplog.text


@pytest.mark.parametrize(
    ("language", "status", "not_found", "malformed"),
    [
        (
            EN,
            "Status: received, not reviewed yet",
            "No report has that receipt.",
            "That is not a receipt: a receipt has 16 digits.",
        ),
        (
            ZH,
            "状态：已收到，尚未审核",
            "没有与该回执号对应的报告。",
            "这不是回执号：回执号是 16 位数字。",
        ),
    ],
)
async def test_status_with_valid_and_invalid_receipts(
    chat: MemoryAdapter, language: str, status: str, not_found: str, malformed: str
) -> None:
    receipt = await file_a_report(chat, language, photo=False)
    spaced = " ".join(receipt[i : i + 4] for i in range(0, 16, 4))
    assert status in texts(await chat.say(f"/status {spaced}", user="anyone", language=language))
    wrong = ("1" if receipt[0] != "1" else "2") + receipt[1:]
    assert not_found in texts(await chat.say(f"/status {wrong}", user="x", language=language))
    assert malformed in texts(await chat.say("/status 12345", user="x", language=language))


async def test_added_information_is_stored_encrypted_and_shown_back(
    reporting: App, chat: MemoryAdapter, keys: ModeratorKeys
) -> None:
    receipt = await file_a_report(chat, photo=False)
    await chat.say(f"/status {receipt}", user="phone2", language=EN)
    assert "Send what you want to add" in texts(
        await chat.press("rstat:add", user="phone2", language=EN)
    )
    assert "Added to your report" in texts(
        await chat.say("The caller used a hidden number.", user="phone2", language=EN)
    )
    async with unit_factory(reporting.engine)() as unit:
        message = await unit.session.scalar(select(ReportMessage))
        assert message is not None and b"hidden number" not in message.body
    shown = texts(await chat.say(f"/status {receipt}", user="phone3", language=EN))
    assert "You, November 28, 2026: The caller used a hidden number." in shown


async def test_reports_over_the_caps_wait_in_quarantine(db_url: str, keys: ModeratorKeys) -> None:
    app = await build_app(
        db_url, TEST_KEY, migrate=False, policy=_policy(keys, Caps(per_hour=2, per_day=10))
    )
    async with unit_factory(app.engine)() as unit:
        await load_dataset(unit.session, read_packaged())
    chat = MemoryAdapter(language=EN)
    chat.attach(app.sink_for(chat))
    for _ in range(3):
        await file_a_report(chat, photo=False)
    assert "Please wait before sending another." in texts([chat.sent[-1].reply])
    async with unit_factory(app.engine)() as unit:
        statuses = list(await unit.session.scalars(select(Report.status).order_by(Report.id)))
    assert statuses == ["new", "new", "quarantined"]
    await app.close()


WAIT = {
    EN: "Many reports have arrived in a short time, so this one will be reviewed a little later.",
    ZH: "短时间内收到的报告较多，这份报告会稍后审核。",
}


async def test_over_the_global_cap_reports_wait_and_everyone_else_is_still_answered(
    db_url: str, keys: ModeratorKeys
) -> None:
    caps = Caps(per_hour=100, per_day=100, global_per_day=2)
    app = await build_app(db_url, TEST_KEY, migrate=False, policy=_policy(keys, caps))
    async with unit_factory(app.engine)() as unit:
        await load_dataset(unit.session, read_packaged())
    chat = MemoryAdapter(language=EN)
    chat.attach(app.sink_for(chat))
    for user in ("first", "second"):
        await file_a_report(chat, photo=False, user=user)
        assert WAIT[EN] not in texts([chat.sent[-1].reply])
    for user, language in (("third", EN), ("fourth", ZH)):
        await file_a_report(chat, language, photo=False, user=user)
        assert WAIT[language] in texts([chat.sent[-1].reply]), "told kindly, in their language"
        assert "/status" in texts([chat.sent[-2].reply]), "and given a receipt all the same"
    # The flood holds back reports only: a bystander's lookups are answered as ever.
    assert "曾立新" in texts(await chat.say("/search zeng lixin", user="bystander"))
    assert "西湖区" in texts(await chat.say("/elections 西湖区", user="bystander"))
    async with unit_factory(app.engine)() as unit:
        statuses = list(await unit.session.scalars(select(Report.status).order_by(Report.id)))
    assert statuses == ["new", "new", "quarantined", "quarantined"]
    await app.close()


async def test_purge_deletes_old_closed_reports_and_wipes_old_receipts(
    reporting: App, chat: MemoryAdapter
) -> None:
    first = await file_a_report(chat, photo=True)
    second = await file_a_report(chat, photo=False)
    async with unit_factory(reporting.engine)() as unit:
        ids = list(await unit.session.scalars(select(Report.id).order_by(Report.id)))
        await unit.session.execute(
            update(Report)
            .where(Report.id == ids[0])
            .values(status=ReportStatus.closed, closed_on=date(2026, 1, 1))
        )
        await unit.session.execute(
            update(Report).where(Report.id == ids[1]).values(receipt_used_on=date(2026, 6, 1))
        )
    async with unit_factory(reporting.engine)() as unit:
        purged = await purge(unit.session, FIXED_NOW, Retention())
    assert (purged.reports, purged.receipts) == (1, 1)
    async with unit_factory(reporting.engine)() as unit:
        assert await unit.session.scalar(select(func.count()).select_from(Report)) == 1
        assert await unit.session.scalar(select(func.count()).select_from(ReportAttachment)) == 0
    assert "No report has that receipt" in texts(await chat.say(f"/status {first}", user="a"))
    assert "No report has that receipt" in texts(await chat.say(f"/status {second}", user="b"))


async def test_cancel_deletes_the_draft(
    reporting: App, chat: MemoryAdapter, memory: MemoryEphemeral
) -> None:
    await chat.say("/report", user=SENDER)
    await chat.press("rpt:go", user=SENDER)
    await chat.press("rptc:violence", user=SENDER)
    assert memory.count("draft:") == 1
    assert "cancelled and deleted" in texts(await chat.press("rpt:cancel", user=SENDER))
    assert memory.count("draft:") == 0


async def test_a_draft_is_kept_only_in_memory(reporting: App, chat: MemoryAdapter) -> None:
    await chat.say("/report", user=SENDER)
    await chat.press("rpt:go", user=SENDER)
    await chat.press("rptc:violence", user=SENDER)
    async with reporting.engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(Conversation)) == 0


async def test_a_draft_expires_within_two_hours_and_the_user_is_told(
    reporting: App, chat: MemoryAdapter, clock: Clock
) -> None:
    await chat.say("/report", user=SENDER)
    await chat.press("rpt:go", user=SENDER)
    clock.now += 2 * 3600 + 1  # the hour's secret, and with it the draft, has died
    reply = texts(await chat.press("rptc:violence", user=SENDER))
    assert "drafts are never saved" in reply and "/report" in reply


async def test_a_restart_loses_the_draft_and_the_user_is_told(
    db_url: str, keys: ModeratorKeys, reporting: App, chat: MemoryAdapter
) -> None:
    await chat.say("/report", user=SENDER)
    await chat.press("rpt:go", user=SENDER)
    restarted = await build_app(db_url, TEST_KEY, migrate=False, policy=_policy(keys))
    adapter = MemoryAdapter(language=EN)
    adapter.attach(restarted.sink_for(adapter))
    try:
        reply = texts(await adapter.press("rptc:violence", user=SENDER))
        assert "drafts are never saved" in reply
    finally:
        await restarted.close()


async def test_replayed_buttons_have_expired(chat: MemoryAdapter) -> None:
    await chat.say("/report", user=SENDER)
    await chat.press("rpt:go", user=SENDER)
    await chat.press("rptc:violence", user=SENDER)
    assert "expired" in texts(await chat.press("rptc:detention", user=SENDER))
    await chat.press("rpt:cancel", user=SENDER)
    assert "expired" in texts(await chat.press("rpts:send", user=SENDER))


async def _to_description(chat: MemoryAdapter) -> None:
    await chat.say("/report", user=SENDER)
    await chat.press("rpt:go", user=SENDER)
    await chat.press("rptc:other", user=SENDER)
    await chat.press("rpta:", user=SENDER)
    await chat.press("rptw:today", user=SENDER)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("!!!!!! ???", "Please describe what happened"),
        ("ok", "Please describe what happened"),
        ("x" * 50_000, "That message is too long"),
    ],
)
async def test_bad_descriptions_are_refused(chat: MemoryAdapter, text: str, expected: str) -> None:
    await _to_description(chat)
    assert expected in texts(await chat.say(text, user=SENDER, language=EN))
    # Still at the same step: a good description goes through.
    assert "rptp:done" in payloads(await chat.say(DESCRIPTION, user=SENDER, language=EN))


async def test_bad_photos_get_clear_answers(chat: MemoryAdapter) -> None:
    await _to_description(chat)
    await chat.say(DESCRIPTION, user=SENDER)
    assert "not a photo I can read" in await send_photo(chat, b"GIF89a not really")
    bomb = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(bomb, "PNG")
    assert "too large to open safely" in await send_photo(chat, bomb.getvalue())
    assert "larger than 10 MB" in await send_photo(chat, b"\xff" * (10 * 1024 * 1024 + 1))
    for _ in range(5):
        assert "added" in await send_photo(chat, gps_jpeg())
    assert "at most 5 photos" in await send_photo(chat, gps_jpeg())


async def test_documents_are_refused_with_the_reason(chat: MemoryAdapter) -> None:
    await _to_description(chat)
    await chat.say(DESCRIPTION, user=SENDER)
    c, s = chat.refs(SENDER)
    document = UnsupportedMessage(chat=c, sender=s, language=EN, event_id="d1", kind="document")
    assert "files keep hidden details" in texts(await chat.inject(document))


async def test_reports_are_not_taken_in_groups(chat: MemoryAdapter) -> None:
    group = ChatRef("memory", "group-1", private=False)
    event_sender = SenderRef("memory", SENDER)
    from bot.core.events import Command

    command = Command(chat=group, sender=event_sender, language=EN, event_id="g1", name="report")
    assert "only take reports in a private chat" in texts(await chat.inject(command))


async def test_without_keys_reports_say_they_are_not_set_up(app: App) -> None:
    chat = MemoryAdapter(language=EN)
    chat.attach(app.sink_for(chat))
    assert "not set up" in texts(await chat.say("/report", language=EN))
    assert "尚未开通报告功能" in texts(await chat.say("/report", language=ZH))


async def test_a_receipt_never_reaches_the_disk_even_when_its_reply_is_cut_off(
    reporting: App, chat: MemoryAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reply kept until sent (``bot.core.kept``) stays in memory when it is secret:
    the receipt's step, and ``/status`` with a receipt."""
    receipt = await file_a_report(chat, photo=False)

    class Killed(Exception):
        pass

    async def dies(*_: object) -> None:
        raise Killed

    monkeypatch.setattr(chat, "send", dies)
    with pytest.raises(Killed):
        await chat.say(f"/status {receipt}", user="anyone", language=EN)
    with pytest.raises(Killed):
        await chat.say("/search 曾立新", user="reader", language=EN)

    async with unit_factory(reporting.engine)() as unit:
        kept = list(await unit.session.scalars(select(ProcessedEvent.replies)))
    # Only the ordinary search's reply waits, sealed; no step of the report, no status.
    assert len([row for row in kept if row is not None]) == 1
    assert receipt not in await _dump(reporting)
