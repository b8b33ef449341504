"""Citizens' conversations through the real adapter, python-telegram-bot and HTTP, against
the fake Bot API server: languages, search, buttons, the command menu, escaping, media."""

from __future__ import annotations

from bot.app import App
from bot.core.events import ChatRef
from bot.core.markup import bold
from bot.core.replies import Reply
from tests.telegram.conftest import running
from tests.telegram.fake_api import FakeBotAPI

ALICE, BOB = 5550001, 5550002


async def test_start_is_in_chinese_by_default_and_in_english_for_english_users(
    app: App, fake: FakeBotAPI
) -> None:
    async with running(app, fake):
        fake.message(ALICE, "/start")
        fake.message(BOB, "/start", language="en")
        (zh,) = await fake.replies(ALICE, 1)
        (en,) = await fake.replies(BOB, 1)
    assert "欢迎使用 candibot" in zh.text
    assert "Welcome to candibot." in en.text
    assert "<b>Welcome to candibot.</b>" in en.html
    assert en.params["parse_mode"] == "HTML"
    assert "menu:search" in en.buttons


async def test_search_answers_in_each_users_language(app: App, fake: FakeBotAPI) -> None:
    async with running(app, fake):
        fake.message(ALICE, "/search zeng lixin", language="zh-hans")
        fake.message(BOB, "zeng lixin", language="en-US")
        (zh,) = await fake.replies(ALICE, 1)
        (en,) = await fake.replies(BOB, 1)
    assert "曾立新（Zēng Lìxīn）" in zh.text and "选民联名推荐" in zh.text
    assert "曾立新 (Zēng Lìxīn)" in en.text and "voter-nominated" in en.text


async def test_a_button_press_is_handled_and_its_query_answered(app: App, fake: FakeBotAPI) -> None:
    async with running(app, fake):
        fake.message(ALICE, "/start", language="en")
        await fake.replies(ALICE, 1)
        fake.press(ALICE, "menu:rights", language="en")
        replies = await fake.replies(ALICE, 2)
        await fake.wait_for(lambda: fake.answered == ["q1"], what="the callback answer")
    assert "right" in replies[-1].text.lower()


async def test_the_command_menu_is_set_in_chinese_and_english(app: App, fake: FakeBotAPI) -> None:
    async with running(app, fake):
        pass
    assert set(fake.commands) == {None, "zh", "en"}
    english = {c["command"]: c["description"] for c in fake.commands["en"]}
    chinese = {c["command"]: c["description"] for c in fake.commands["zh"]}
    assert english["search"] == "find a candidate by name, in characters or pinyin"
    assert chinese["search"] == "按姓名查找候选人（汉字或拼音）"
    assert fake.commands[None] == fake.commands["zh"]
    assert [c["command"] for c in fake.commands["en"]][:3] == ["start", "area", "search"]


async def test_user_text_is_escaped_in_html(app: App, fake: FakeBotAPI) -> None:
    query = "<b>Zhang</b> & <a href='x'>co</a>"
    async with running(app, fake):
        fake.message(ALICE, f"/search {query}", language="en")
        (reply,) = await fake.replies(ALICE, 1)
    assert query in reply.text  # shown literally: the fake parsed the HTML as Telegram does
    assert "&lt;b&gt;Zhang&lt;/b&gt; &amp; &lt;a href='x'&gt;co&lt;/a&gt;" in reply.html


async def test_documents_stickers_and_voice_get_the_not_supported_reply(
    app: App, fake: FakeBotAPI
) -> None:
    async with running(app, fake):
        fake.document(ALICE, language="en")
        fake.message(ALICE, sticker=_sticker(), language="en")
        fake.message(ALICE, voice={"file_id": "v", "file_unique_id": "uv", "duration": 2})
        replies = await fake.replies(ALICE, 3)
    assert all("I cannot handle files, voice messages or stickers" in r.text for r in replies[:2])
    assert "我无法处理文件、语音或贴纸" in replies[2].text


async def test_a_photo_outside_a_report_points_to_report(app: App, fake: FakeBotAPI) -> None:
    async with running(app, fake):
        fake.photo(ALICE, b"not really a jpeg", language="en")
        (reply,) = await fake.replies(ALICE, 1)
    assert "/report" in reply.text


async def test_service_messages_and_edits_are_ignored(app: App, fake: FakeBotAPI) -> None:
    async with running(app, fake):
        fake.message(ALICE, new_chat_title="x")
        chat = {"id": ALICE, "type": "private"}
        fake.inject({"edited_message": {"message_id": 1, "date": 0, "chat": chat, "text": "/x"}})
        fake.message(ALICE, "/help", language="en")
        # A chat's updates are handled in order: once /help is answered, the others were seen.
        replies = await fake.replies(ALICE, 1)
    assert len(replies) == 1 and "What I can do" in replies[0].text


def _sticker() -> dict[str, object]:
    return {
        "file_id": "s",
        "file_unique_id": "us",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }


async def test_a_reply_sent_outside_an_update_goes_out_at_once_with_its_id(
    app: App, fake: FakeBotAPI
) -> None:
    async with running(app, fake) as adapter:
        message_id = await adapter.send(ChatRef("telegram", str(ALICE)), Reply.of(bold("Alert")))
    assert message_id == str(fake.last(ALICE).message_id)
    assert fake.last(ALICE).html == "<b>Alert</b>"


async def test_a_moderators_stats_chart_arrives_as_a_photo(app: App, fake: FakeBotAPI) -> None:
    from storage.models import StaffRole
    from storage.roles import add_staff
    from storage.unit import unit_factory

    async with unit_factory(app.engine)() as unit:
        await add_staff(unit.session, "telegram", str(ALICE), StaffRole.moderator)
    async with running(app, fake):
        fake.message(ALICE, "/stats", language="en")
        (text,) = await fake.replies(ALICE, 1)
        await fake.wait_for(lambda: bool(fake.photos), what="the chart")
    assert "Reports: 0" in text.text
    chat_id, png = fake.photos[0]
    assert chat_id == ALICE and png.startswith(b"\x89PNG\r\n\x1a\n")
