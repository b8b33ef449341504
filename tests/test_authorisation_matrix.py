"""Issue 15, item 3: every command and every button prefix (and forged payloads), as
every role, in every place: exactly the cells ``tests/roles_table.py`` allows do their
work; every other cell gets a refusal in the person's language and changes nothing
(no row, no audit entry but the refusal's). docs/ROLES.md is that table, rendered by
``tools/roles_doc.py``.

One bot per database runs the whole table; between rows the roles, claims, followed
places and drafts are put back as they were, so that a row's allowed cells (a claim
given up, a moderator added) cannot change what the next row finds.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.memory import MemoryAdapter
from bot.adapters.web.adapter import WebAdapter
from bot.app import App
from bot.core.events import ButtonAction, ChatRef, Event, SenderRef, event_from_text
from bot.core.i18n import Catalogs
from bot.core.replies import Reply
from handlers import build_router
from handlers.alerts import UNREACHABLE
from handlers.base import EXPIRED
from handlers.claims import BAD_CODE, CODES_IN_PRIVATE, SEEN
from handlers.queue import NOT_YOURS
from handlers.reports import DRAFT_LOST
from handlers.staff import (
    ADMINS_ONLY,
    ADMINS_PRIVATE,
    NOT_ALLOWED,
    NOT_ON_THIS_PLATFORM,
    PRIVATE_ONLY,
    WRONG_CHAT,
)
from handlers.updates import ONLY_CANDIDATES
from storage import claims
from storage.models import (
    AuditEntry,
    Candidacy,
    CandidateAccount,
    CandidateUpdate,
    ClaimCode,
    Conversation,
    Election,
    OutboxMessage,
    PlatformPointRevision,
    PublishedIncident,
    Report,
    ReportApproval,
    ReportMessage,
    StaffMember,
    StaffRole,
    Subscription,
    UserPreference,
)
from storage.roles import add_staff, link_candidate_account
from storage.subscriptions import subscribe
from storage.unit import unit_factory
from tests.conftest import FIXED_NOW
from tests.helpers import payloads, texts
from tests.roles_table import AT_CONFIRM, PLACES, ROWS, Place, Role, Row
from tests.staffed import ROOM, staffed_app

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from roles_doc import DOC, render

IDS = {role: f"70{n}" for n, role in enumerate(Role, start=1)}
#: Each role hears the bot in its own language, so a refusal must be in that one.
LANGUAGES = {
    Role.citizen: "zh_CN", Role.citizen2: "en", Role.candidate: "zh_CN",
    Role.candidate2: "en", Role.moderator: "en", Role.removed: "zh_CN", Role.admin: "zh_CN",
}  # fmt: skip
CANDIDACIES = {Role.candidate: 1, Role.candidate2: 2}
#: A candidacy nobody in the table speaks for: /claim, /verify, /revoke and /trust act on it.
SPARE = 9
GROUP = ChatRef("memory", "some-group", private=False)
ROOM_CHAT = ChatRef(*ROOM, private=False)
REFUSALS = (
    NOT_ALLOWED, ADMINS_ONLY, WRONG_CHAT, PRIVATE_ONLY, NOT_ON_THIS_PLATFORM, ONLY_CANDIDATES,
    UNREACHABLE, EXPIRED, DRAFT_LOST, NOT_YOURS, BAD_CODE,
    "For your safety I only take reports in a private chat. Write to me directly and send "
    "/report there.",
    "For your safety, use /status only in a private chat with me.",
    SEEN, CODES_IN_PRIVATE, ADMINS_PRIVATE,
)  # fmt: skip
#: What a refused attempt must leave as it was (conversations and handled events move
#: with any event; a refusal's own audit entry is expected).
WATCHED = (
    StaffMember, CandidateAccount, Candidacy, CandidateUpdate, PlatformPointRevision, Report,
    ReportMessage, ReportApproval, PublishedIncident, ClaimCode, Subscription, Election,
    OutboxMessage, UserPreference,
)  # fmt: skip
#: Rows that may leave a draft (a report, /forget's question) in the ephemeral store.
DRAFTING = {"report", "forget", "status", "claim", "rpt", "rptc", "rpta", "rptw", "rptp",
            "rptpub", "rpte", "rpts", "upd", "updt", "rstat", "rstatc"}  # fmt: skip
CATALOGS = Catalogs()


class WebLike(MemoryAdapter):
    """A web session as the core sees it: the web adapter's platform and capabilities."""

    platform = "web"
    capabilities = WebAdapter.capabilities


@dataclass
class Cell:
    row: Row
    role: Role
    place: Place
    said: str
    allowed: bool
    changed: list[str]
    #: The step of ``before`` that was refused, if one was.
    stopped: str | None = None

    @property
    def expected(self) -> bool:
        return self.row.allows(self.role, self.place)

    def problem(self) -> str | None:
        where = f"{self.row.probe!r} as {self.role} in {self.place}"
        if self.expected and self.stopped is not None:
            return f"{where}: the way there was refused at {self.stopped!r}"
        if self.allowed != self.expected:
            verdict = "allowed" if self.allowed else "refused"
            return f"{where}: {verdict}, the table says otherwise: {self.said[:160]!r}"
        if not self.expected and self.changed:
            return f"{where}: refused but changed {', '.join(self.changed)}"
        return None


class Matrix:
    def __init__(self, app: App) -> None:
        self.app = app
        self.memory = MemoryAdapter()
        self.web = WebLike()
        for adapter in (self.memory, self.web):
            adapter.attach(app.sink_for(adapter))
        self.refusals = {
            language: [CATALOGS.gettext(language)(msgid) for msgid in REFUSALS]
            for language in set(LANGUAGES.values())
        }
        #: The receipt of a report filed by ``prepare``.
        self.receipt = ""

    def origin(self, role: Role, place: Place) -> tuple[MemoryAdapter, dict[str, Any]]:
        adapter = self.web if place is Place.web else self.memory
        user = IDS[role]
        chat = {Place.group: GROUP, Place.room: ROOM_CHAT}.get(
            place, ChatRef(adapter.platform, user, private=True)
        )
        event = {
            "chat": chat,
            "sender": SenderRef(adapter.platform, user),
            "language": LANGUAGES[role],
            "event_id": adapter.next_id(),
        }
        return adapter, event

    async def send(self, role: Role, place: Place, step: str, offered: list[str]) -> list[Reply]:
        """A command or typed text, or (``@prefix``) a press of the first offered button
        starting so, else of ``prefix`` itself."""
        adapter, origin = self.origin(role, place)
        step = step.replace("{receipt}", self.receipt)
        event: Event
        if step.startswith("@"):
            wanted = step[1:]
            payload = next((p for p in offered if p.startswith(wanted)), wanted)
            event = ButtonAction(payload=payload, **origin)
        else:
            event = event_from_text(step, **origin)
        return await adapter.inject(event)

    def refused(self, role: Role, replies: list[Reply]) -> bool:
        said = texts(replies)
        return not replies or any(text in said for text in self.refusals[LANGUAGES[role]])

    async def run(self, row: Row, role: Role, place: Place, *, watch: bool) -> Cell:
        """One cell; with ``watch``, what it changed is compared too."""
        offered: list[str] = []
        stopped = None
        for step in row.before or ():
            replies = await self.send(role, place, step, offered)
            if self.refused(role, replies):  # the path ends here: the probe is forged
                offered, stopped = [], step
                break
            offered = payloads(replies)
        if "{code}" in row.probe:  # a fresh one-time code each time
            step = row.probe.replace("{code}", await self.claim_code())
        elif row.command:
            step = row.probe
        else:  # forged (no ``before``): nothing was offered, so exactly the probe
            step = "@" + row.probe
        before = await state(self.app.engine) if watch else None
        replies = await self.send(role, place, step, offered)
        return Cell(row, role, place, texts(replies), not self.refused(role, replies),
                    await changes(self.app.engine, row, before), stopped)  # fmt: skip

    async def run_row(self, row: Row) -> list[str]:
        """The refused cells first, then the allowed ones. Without a path walked first,
        one look at the tables before and after all the refused cells tells whether any
        changed something; a path may write (a /queue that claims an item), so then each
        cell is looked at alone."""
        cells = [(role, place) for role in Role for place in Place]
        refused = [cell for cell in cells if not row.allows(*cell)]
        allowed = [cell for cell in cells if row.allows(*cell)]
        alone = row.before is not None
        before = None if alone else await state(self.app.engine)
        done = [await self.run(row, role, place, watch=alone) for role, place in refused]
        problems = []
        changed = await changes(self.app.engine, row, before)
        if changed:
            problems.append(f"{row.probe!r}: its refused cells changed {', '.join(changed)}")
        done += [await self.run(row, role, place, watch=False) for role, place in allowed]
        return [problem for cell in done if (problem := cell.problem())] + problems

    async def claim_code(self) -> str:
        async with unit_factory(self.app.engine)() as unit:
            code, _ = await claims.issue(unit.session, SPARE, "memory:setup", FIXED_NOW,
                                         timedelta(hours=48))  # fmt: skip
        return claims.show(code)

    async def end_drafts(self) -> None:
        for role in Role:
            for place in (Place.private, Place.web):
                await self.send(role, place, "/cancel", [])

    async def restore(self) -> None:
        """Roles, claims, followed places and conversations as the table assumes them."""
        async with unit_factory(self.app.engine)() as unit:
            session = unit.session
            await session.execute(delete(StaffMember))
            await session.execute(delete(CandidateAccount))
            for platform in ("memory", "web"):
                await add_staff(session, platform, IDS[Role.moderator], StaffRole.moderator)
                await add_staff(session, platform, IDS[Role.admin], StaffRole.admin)
                for role, candidacy in CANDIDACIES.items():
                    await link_candidate_account(session, candidacy, platform, IDS[role])
            for model in (Report, CandidateUpdate, PlatformPointRevision):
                await session.execute(update(model).values(claimed_by=None, claimed_until=None))
            await session.execute(delete(UserPreference))
            await session.execute(delete(Conversation))
            await session.execute(delete(Subscription))
            await subscribe(session, "memory", IDS[Role.citizen], "330106", "zh_CN")


async def state(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    found: dict[str, list[tuple[Any, ...]]] = {}
    async with engine.connect() as connection:
        for model in WATCHED:
            table = cast(Table, model.__table__)
            rows = await connection.execute(select(table).order_by(*table.primary_key.columns))
            found[table.name] = [tuple(row) for row in rows]
        actions = await connection.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.target_id)
            .where(AuditEntry.action != "refused")
            .order_by(AuditEntry.id)
        )
        found["audit_log"] = [tuple(row) for row in actions]
    return found


async def changes(
    engine: AsyncEngine, row: Row, before: dict[str, list[tuple[Any, ...]]] | None
) -> list[str]:
    """The watched tables that differ from ``before`` (none when there is no ``before``)."""
    if before is None:
        return []
    after = await state(engine)
    return [name for name in after
            if after[name] != before[name] and name not in row.refusal_writes]  # fmt: skip


async def _prepare(matrix: Matrix) -> None:
    """Two reports to review, two candidates' statements, a removed moderator."""
    await matrix.restore()
    async with unit_factory(matrix.app.engine)() as unit:
        for platform in ("memory", "web"):
            await add_staff(unit.session, platform, IDS[Role.removed], StaffRole.moderator)
    for _ in range(2):
        offered: list[str] = []
        for step in AT_CONFIRM:
            offered = payloads(await matrix.send(Role.citizen, Place.private, step, offered))
        sent = texts(await matrix.send(Role.citizen, Place.private, "@rpts:send", offered))
        matrix.receipt = "".join(re.findall(r"\d{4} \d{4} \d{4} \d{4}", sent)[0].split())
    for role in CANDIDACIES:
        for step in ("/update", "@upd:statement", "我会每月公开街道的预算。"):
            await matrix.send(role, Place.private, step, [])
    removing = f"/mods remove memory:{IDS[Role.removed]}"
    assert "memory:" in texts(await matrix.send(Role.admin, Place.private, removing, []))
    async with unit_factory(matrix.app.engine)() as unit:
        await unit.session.execute(
            delete(StaffMember).where(StaffMember.user_id == IDS[Role.removed])
        )


async def test_every_role_in_every_place_gets_exactly_what_the_table_allows(db_url: str) -> None:
    app = await staffed_app(db_url)
    try:
        matrix = Matrix(app)
        await _prepare(matrix)
        problems: list[str] = []
        for row in ROWS:
            await matrix.restore()
            problems += await matrix.run_row(row)
            if row.key in DRAFTING:
                await matrix.end_drafts()
    finally:
        await app.close()
    assert problems == [], "\n".join(problems)


def test_every_command_and_button_has_a_row() -> None:
    router = build_router()
    rows = {row.key for row in ROWS}
    assert sorted(set(router.command_names) - rows) == []
    assert sorted(set(router.action_prefixes) - rows) == []
    assert {row.key for row in ROWS} <= set(router.command_names) | set(router.action_prefixes)


def test_every_step_bound_button_is_refused_when_forged() -> None:
    forged = {row.key for row in ROWS if row.before is None and not row.who}
    bound = {prefix for prefix, step in build_router().action_prefixes.items() if step}
    assert sorted(bound - forged) == []


def test_docs_roles_is_the_table() -> None:
    assert DOC.read_text() == render(ROWS), "run: .venv/bin/python tools/roles_doc.py"


def test_the_table_covers_every_place() -> None:
    assert {place for row in ROWS for place in row.where} == set(PLACES)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_has_a_language_and_an_id(role: Role) -> None:
    assert role in LANGUAGES and role in IDS
