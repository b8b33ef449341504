"""Talking to the bot on a real Synapse: direct chats, plain and end-to-end encrypted,
numbered options, media, invitations and rooms the bot leaves."""

from __future__ import annotations

import pytest

from bot.adapters.matrix import MatrixSettings
from bot.app import App
from tests.matrix.citizen import Citizen, option_number
from tests.matrix.conftest import RunningBot
from tests.matrix.synapse import Synapse


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_start_and_search_in_both_languages(
    bot: RunningBot, citizen: Citizen, encrypted: bool
) -> None:
    room = await citizen.direct_chat(encrypted=encrypted)
    welcome = await citizen.ask(room, "/start", "欢迎使用 candibot。")
    assert "演示数据" in welcome
    found = await citizen.ask(room, "/search zeng lixin", "曾立新（Zēng Lìxīn）")
    assert "选民联名推荐" in found
    await citizen.ask(room, "/language en", "I will speak English with you from now on.")
    await citizen.ask(room, "/start", "Welcome to candibot.")
    found = await citizen.ask(room, "/search zeng lixin", "曾立新 (Zēng Lìxīn)")
    assert "voter-nominated (选民联名推荐)" in found
    assert all(said.encrypted == encrypted for said in citizen.heard)
    assert all(said.html for said in citizen.heard)


async def test_options_are_answered_by_number_label_or_keycap_reaction(
    bot: RunningBot, citizen: Citizen
) -> None:
    room = await citizen.direct_chat(encrypted=True)
    await citizen.ask(room, "/language en", "from now on")
    choose = await citizen.ask(room, "/language", "Choose your language:")
    assert "1) 中文" in choose and "2) English" in choose
    assert "<ol><li>中文</li><li>English</li></ol>" in citizen.heard[-1].html
    await citizen.ask(room, "1", "从现在起我将用中文与你交流")
    await citizen.ask(room, "/language", "请选择语言")
    await citizen.ask(room, "english", "I will speak English with you from now on.")
    await citizen.ask(room, "/language", "Choose your language:")
    start = citizen.mark()
    await citizen.react(room, citizen.heard[-1].event_id, "1️⃣")
    await citizen.heard_until(start, "从现在起我将用中文与你交流")


async def test_plain_room_is_warned_before_a_report_and_files_are_refused(
    bot: RunningBot, citizen: Citizen
) -> None:
    room = await citizen.direct_chat(encrypted=False)
    await citizen.ask(room, "/language en", "from now on")
    start = citizen.mark()
    await citizen.say(room, "/report")
    said = await citizen.heard_until(start, "Report an incident")
    warning = said.index("This chat is not end-to-end encrypted")
    assert warning < said.index("Report an incident")
    assert "这个聊天没有端到端加密" in said
    assert citizen.heard[start].msgtype == "m.notice"
    await citizen.ask(room, "/cancel", "Cancelled")
    start = citizen.mark()
    await citizen.send_file(room)
    await citizen.heard_until(start, "I cannot handle files")


async def test_encrypted_room_gets_no_warning(bot: RunningBot, citizen: Citizen) -> None:
    room = await citizen.direct_chat(encrypted=True)
    said = await citizen.ask(room, "/report", "报告事件")
    assert "没有端到端加密" not in said


async def test_group_invites_are_declined_and_empty_rooms_left(
    bot: RunningBot, citizen: Citizen, synapse: Synapse
) -> None:
    group = await citizen.group_room()
    await citizen.invite(group, citizen.bot_id)
    await citizen.until(lambda: citizen.membership(group, citizen.bot_id) is None)
    assert citizen.bot_id not in synapse.members(group)

    room = await citizen.direct_chat(encrypted=True)
    await citizen.ask(room, "/start", "欢迎")
    assert citizen.bot_id in synapse.members(room)
    await citizen.leave(room)
    await citizen.until(lambda: citizen.bot_id not in synapse.members(room))


async def test_admins_invitation_is_accepted_and_earlier_messages_ignored(
    bot_settings: MatrixSettings, matrix_app: App, citizen: Citizen
) -> None:
    bot = RunningBot(matrix_app, bot_settings.model_copy(update={"admins": citizen.user_id}))
    await bot.start()
    try:
        await bot.synced()
        group = await citizen.group_room()
        await citizen.say(group, "/start")
        await citizen.invite(group, citizen.bot_id)
        await citizen.until(lambda: citizen.membership(group, citizen.bot_id) == "join")
        await citizen.ask(group, "/language en", "from now on")
        await citizen.quiet(1)
        assert not any("欢迎" in said.body for said in citizen.heard)
        numbers = option_number(await citizen.ask(group, "/language", "Choose"), "English")
        assert numbers == "2"
    finally:
        await bot.stop()


async def test_a_message_sent_before_the_bot_joined_its_invitation_is_answered(
    bot: RunningBot, citizen: Citizen
) -> None:
    await bot.synced()
    await bot.stop()
    response = await citizen.client.room_create(is_direct=True, invite=[citizen.bot_id])
    room = str(response.room_id)
    await citizen.until(lambda: room in citizen.client.rooms)
    start = citizen.mark()
    await citizen.say(room, "/start")
    await bot.start()
    await citizen.heard_until(start, "欢迎使用 candibot。")
