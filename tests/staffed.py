"""A bot with moderators, an admin and report keys, and chats other than a private one:
shared by the tests of issue 11's findings (audit privacy, where moderators may work,
the quarantine, the keyed audit log)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.adapters.memory import MemoryAdapter
from bot.app import App, build_app
from bot.core.events import ButtonAction, ChatRef, SenderRef, event_from_text
from bot.core.replies import Reply
from handlers.policy import Policy, ReportSetup
from storage.crypto import ModeratorKeys, generate
from storage.dataset import load_dataset, read_packaged
from storage.models import StaffRole
from storage.receipts import ReceiptHasher
from storage.roles import add_staff
from storage.unit import unit_factory
from tests.conftest import FIXED_NOW, TEST_KEY

EN, ZH = "en", "zh-hans"
ALICE, CAROL = "9001", "9003"  # a moderator, an admin
ROOM = ("memory", "mod-room")
GROUP = ChatRef("memory", "some-group", private=False)


def staff_policy(**options: Any) -> Policy:
    private = generate()
    policy = Policy(
        clock=lambda: FIXED_NOW,
        reports=ReportSetup(
            keys=ModeratorKeys(private.public_key, private),
            hasher=ReceiptHasher(b"s" * 16, time_cost=1, memory_kib=8),
        ),
        moderation_room=ROOM,
    )
    return replace(policy, **options)


async def staffed_app(db_url: str, policy: Policy | None = None) -> App:
    """The demo dataset, ALICE moderating and CAROL administering."""
    app = await build_app(db_url, TEST_KEY, migrate=False, policy=policy or staff_policy())
    async with unit_factory(app.engine)() as unit:
        await load_dataset(unit.session, read_packaged())
        await add_staff(unit.session, "memory", ALICE, StaffRole.moderator)
        await add_staff(unit.session, "memory", CAROL, StaffRole.admin)
    return app


def attached(app: App) -> MemoryAdapter:
    adapter = MemoryAdapter(language=EN)
    adapter.attach(app.sink_for(adapter))
    return adapter


async def say_in(
    chat: MemoryAdapter, where: ChatRef, text: str, *, user: str, language: str = EN
) -> list[Reply]:
    """``text`` typed by ``user`` in the chat ``where`` (a group, a room)."""
    event = event_from_text(
        text, chat=where, sender=SenderRef("memory", user), language=language,
        event_id=chat.next_id(),
    )  # fmt: skip
    return await chat.inject(event)


async def press_in(
    chat: MemoryAdapter, where: ChatRef, payload: str, *, user: str, language: str = EN
) -> list[Reply]:
    action = ButtonAction(
        chat=where, sender=SenderRef("memory", user), language=language,
        event_id=chat.next_id(), payload=payload,
    )  # fmt: skip
    return await chat.inject(action)
