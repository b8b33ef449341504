"""Issue 12, part 2, on Matrix: a subscriber's room the bot was kicked or banned from, or
has left, refuses the outbox's alert for good; the pump marks it failed with the reason
and the room's subscriptions are forgotten. A room the homeserver says the bot is in,
but that the client has not synced yet, only waits."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import select

from bot.adapters.base import Undeliverable
from bot.adapters.matrix import MatrixSettings
from bot.adapters.matrix.refusals import NOT_IN_ROOM, SendFailed, unknown_room
from bot.adapters.matrix.session import new_client, sign_in
from bot.app import App
from bot.core.replies import Reply
from bot.delivery import OutboxPump
from storage.models import OutboxKind, OutboxMessage, Subscription
from storage.outbox import enqueue
from storage.unit import unit_factory
from tests.matrix.citizen import Citizen
from tests.matrix.conftest import RunningBot
from tests.matrix.synapse import Synapse


async def _subscribed_room(citizen: Citizen) -> str:
    room = await citizen.direct_chat(encrypted=True)
    await citizen.ask(room, "/subscribe 110108", "海淀区")
    return room


async def _until_out(synapse: Synapse, room: str, bot_id: str, timeout: float = 20) -> None:
    async def wait() -> None:
        while bot_id in await asyncio.to_thread(synapse.members, room):
            await asyncio.sleep(0.1)

    await asyncio.wait_for(wait(), timeout)


async def _alert_through_the_pump(app: App, bot: RunningBot, room: str) -> list[tuple[str, ...]]:
    """Queues an alert to ``room``, lets the pump try it; returns the outbox and the
    room's subscriptions afterwards."""
    async with unit_factory(app.engine)() as unit:
        chats = list(await unit.session.scalars(select(Subscription.chat_id)))
        assert chats == [room], "the citizen follows 海淀区 from this room"
        await enqueue(unit.session, "matrix", room, Reply.of("海淀区：选举日已公布。").to_json(),
                      OutboxKind.alert)  # fmt: skip
    assert bot.adapter is not None
    assert await OutboxPump(app.engine, bot.adapter).once() == 0
    async with unit_factory(app.engine)() as unit:
        rows = await unit.session.execute(
            select(OutboxMessage.chat_id, OutboxMessage.attempts, OutboxMessage.failed)
        )
        outbox = [(str(c), str(a), str(f)) for c, a, f in rows]
        left = [(str(c),) for c in await unit.session.scalars(select(Subscription.chat_id))]
    return outbox + left


async def _kick(citizen: Citizen, room: str) -> object:
    return await citizen.client.room_kick(room, citizen.bot_id, reason="go away")


async def _ban(citizen: Citizen, room: str) -> object:
    return await citizen.client.room_ban(room, citizen.bot_id, reason="go away")


#: How the bot is put out, and how long the bot's own sync gets to notice before the
#: alert is tried (the homeserver refuses either way; the client's view differs).
REMOVALS: dict[str, tuple[Callable[[Citizen, str], Awaitable[object]], float]] = {
    "kicked": (_kick, 0.0),
    "banned": (_ban, 1.0),
}


@pytest.mark.parametrize("how", list(REMOVALS))
async def test_a_room_the_bot_was_put_out_of_fails_the_alert_and_forgets_the_chat(
    how: str, bot: RunningBot, citizen: Citizen, synapse: Synapse, matrix_app: App
) -> None:
    room = await _subscribed_room(citizen)
    removal, settle = REMOVALS[how]
    await removal(citizen, room)
    await _until_out(synapse, room, citizen.bot_id)
    await asyncio.sleep(settle)
    after = await _alert_through_the_pump(matrix_app, bot, room)
    assert after == [(room, "0", NOT_IN_ROOM)], "failed at once, and no subscription left"
    assert bot.running


async def test_a_room_the_bot_has_left_likewise(
    bot: RunningBot, citizen: Citizen, synapse: Synapse, matrix_app: App
) -> None:
    room = await _subscribed_room(citizen)
    await citizen.leave(room)  # alone in it, the bot leaves and forgets the room
    await _until_out(synapse, room, citizen.bot_id)
    assert await _alert_through_the_pump(matrix_app, bot, room) == [(room, "0", NOT_IN_ROOM)]
    assert bot.running


async def test_a_joined_room_not_synced_yet_waits_and_an_unknown_one_is_gone(
    bot: RunningBot, bot_settings: MatrixSettings, citizen: Citizen
) -> None:
    room = await citizen.direct_chat(encrypted=False)
    await citizen.ask(room, "/start", "欢迎")
    await bot.stop()
    client = new_client(bot_settings)  # the bot's own device, signed in, never synced
    try:
        await sign_in(client, bot_settings)
        assert room not in client.rooms
        waits = await unknown_room(client, room)
        assert isinstance(waits, SendFailed)
        server = citizen.bot_id.split(":", 1)[1]
        gone = await unknown_room(client, f"!nosuchroom:{server}")
        assert isinstance(gone, Undeliverable) and gone.gone and gone.reason == NOT_IN_ROOM
    finally:
        await client.close()
