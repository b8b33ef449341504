"""In groups the bot answers only commands addressed to it and presses of its own buttons;
the moderators' group is open to every message."""

from __future__ import annotations

from bot.app import App
from tests.telegram.conftest import running
from tests.telegram.fake_api import FakeBotAPI

GROUP, MODERATORS = -1001000000001, -1001000000002
ALICE, BOB = 5550001, 5550002


async def test_a_group_gets_answers_only_to_commands_addressed_to_the_bot(
    app: App, fake: FakeBotAPI
) -> None:
    def say(text: str | None = None, **extra: object) -> None:
        fake.message(GROUP, text, user_id=ALICE, chat_type="supergroup", language="en", **extra)

    async with running(app, fake):
        say("zeng lixin")  # plain text: not for the bot
        say("/start@some_other_bot")
        say(document={"file_id": "d", "file_unique_id": "ud"})
        say("/help@CandiBot_Test_Bot")  # usernames are matched in any case
        say("/search zeng lixin")  # no bot named: every bot's
        replies = await fake.replies(GROUP, 2)
    assert "What I can do" in replies[0].text
    assert "曾立新" in replies[1].text
    assert len(fake.texts(GROUP)) == 2


async def test_button_presses_in_a_group_are_handled_and_answered(
    app: App, fake: FakeBotAPI
) -> None:
    async with running(app, fake):
        fake.message(GROUP, "/start", user_id=BOB, chat_type="group", language="en")
        await fake.replies(GROUP, 1)
        fake.press(GROUP, "menu:help", user_id=BOB, chat_type="group", language="en")
        replies = await fake.replies(GROUP, 2)
        await fake.wait_for(lambda: len(fake.answered) == 1, what="the callback answer")
    assert "What I can do" in replies[1].text


async def test_the_moderators_group_passes_every_message(app: App, fake: FakeBotAPI) -> None:
    async with running(app, fake, open_chats=frozenset({MODERATORS})):
        fake.message(MODERATORS, "zeng lixin", user_id=ALICE, chat_type="supergroup")
        (reply,) = await fake.replies(MODERATORS, 1)
    assert "曾立新" in reply.text
