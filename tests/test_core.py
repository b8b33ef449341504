"""The core on a real database: one event at a time per conversation, state kept across
restarts and workers, redeliveries ignored. Handlers here are small test features."""

from __future__ import annotations

import asyncio

from bot.adapters.memory import MemoryAdapter
from bot.app import App, build_app
from bot.core.context import Context
from bot.core.events import ChatRef, SenderRef, split_command
from bot.core.identity import Identity
from bot.core.locks import KeyedLocks
from bot.core.replies import Button, Reply
from storage.unit import StoreUnit
from tests.conftest import TEST_KEY
from tests.helpers import texts


def _counting_feature(app: App, log: list[str]) -> None:
    """A /count command that reads, waits and writes back: lost updates would show."""

    @app.dispatcher.router.command("count")
    async def count(ctx: Context[StoreUnit]) -> Reply:
        log.append("enter")
        current = int(ctx.state.data.get("n", 0))
        await asyncio.sleep(0.01)
        ctx.state = ctx.state.at("counting", n=current + 1)
        log.append("exit")
        return Reply.of(str(current + 1))

    @app.dispatcher.router.step("counting")
    async def show(ctx: Context[StoreUnit]) -> Reply:
        return Reply.of(f"n={ctx.state.data['n']}")


async def test_events_of_one_conversation_are_handled_one_at_a_time(
    app: App, chat: MemoryAdapter
) -> None:
    log: list[str] = []
    _counting_feature(app, log)
    # /count clears state each time (a command starts afresh), so count via steps instead.
    await asyncio.gather(*(chat.say("/count", user="same") for _ in range(5)))
    assert log == ["enter", "exit"] * 5


async def test_two_workers_share_conversation_state(db_url: str) -> None:
    """Two bot processes on one database (row locks on PostgreSQL, BEGIN IMMEDIATE on SQLite)."""
    first = await build_app(db_url, TEST_KEY, migrate=False)
    second = await build_app(db_url, TEST_KEY, migrate=False)
    try:
        for app in (first, second):

            @app.dispatcher.router.text
            async def add(ctx: Context[StoreUnit]) -> Reply:
                n = int(ctx.state.data.get("n", 0)) + 1
                await asyncio.sleep(0.005)
                ctx.state = ctx.state.at(None, n=n)
                return Reply.of(f"n={n}")

        chats = [MemoryAdapter(), MemoryAdapter()]
        for adapter, app in zip(chats, (first, second), strict=True):
            adapter.attach(app.sink_for(adapter))
        await asyncio.gather(*(chats[i % 2].say("+", user="shared") for i in range(10)))
        last = texts(await chats[0].say("+", user="shared"))
        assert last == "n=11", "no update was lost between the two workers"
    finally:
        await first.close()
        await second.close()


async def test_state_survives_a_restart(db_url: str) -> None:
    app = await build_app(db_url, TEST_KEY, migrate=False)
    adapter = MemoryAdapter()
    adapter.attach(app.sink_for(adapter))
    assert "Whom are you looking for" in texts(await adapter.say("/search", language="en"))
    await app.close()

    restarted = await build_app(db_url, TEST_KEY, migrate=False)
    adapter = MemoryAdapter()
    adapter.attach(restarted.sink_for(adapter))
    assert "I found no candidate called “nobody”" in texts(
        await adapter.say("nobody", language="en")
    )
    await restarted.close()


async def test_a_new_identity_key_starts_new_conversations(db_url: str) -> None:
    app = await build_app(db_url, TEST_KEY, migrate=False)
    adapter = MemoryAdapter()
    adapter.attach(app.sink_for(adapter))
    await adapter.say("/language en")
    await app.close()
    other = await build_app(db_url, bytes(32), migrate=False)
    adapter = MemoryAdapter()
    adapter.attach(other.sink_for(adapter))
    assert "欢迎" in texts(await adapter.say("/start"))
    await other.close()


def test_pseudonyms_depend_on_the_key_and_the_platform() -> None:
    one, two = Identity(TEST_KEY), Identity(bytes(32))
    alice = SenderRef("telegram", "42")
    assert one.user_key(alice) != two.user_key(alice)
    assert one.user_key(alice) != one.user_key(SenderRef("matrix", "42"))
    assert "42" not in one.user_key(alice)
    chat = ChatRef("telegram", "42")
    assert one.conversation_key(chat, alice) != one.user_key(alice)


def test_commands_are_split_from_their_arguments() -> None:
    assert split_command("/Search@candibot  hé péng ") == ("search", "hé péng")
    assert split_command("/start") == ("start", "")
    assert split_command("/") is None
    assert split_command("/ foo") is None
    assert split_command("hello") is None
    assert split_command("/中文") is None


def test_button_payloads_fit_telegram() -> None:
    Button("x", "a" * 64)
    try:
        Button("x", "é" * 33)
    except ValueError:
        pass
    else:
        raise AssertionError("a 66-byte payload was accepted")


async def test_keyed_locks_are_dropped_when_released() -> None:
    locks = KeyedLocks()
    async with locks.hold("a"), locks.hold("b"):
        assert len(locks) == 2
    assert len(locks) == 0
