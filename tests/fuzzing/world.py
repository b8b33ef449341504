"""One bot on a real database, and the people who write to it during a fuzzing run.

Each example gets users of its own (a citizen, another citizen, a moderator, an
administrator, a candidate), so that one example's conversations never leak into the
next while the app and its database are built once per property. Every event is
checked as it is answered (``checks``); every example ends by cancelling whatever each
user left open and checking the database.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field

from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import select

from bot.adapters.memory import MemoryAdapter
from bot.app import App
from bot.core.events import (
    ButtonAction,
    ChatRef,
    Event,
    PhotoMessage,
    SenderRef,
    UnsupportedMessage,
    event_from_text,
)
from bot.core.i18n import Catalogs, normalize_language
from bot.core.identity import Identity
from bot.core.replies import Reply
from handlers.policy import Policy
from storage.models import StaffRole, UserPreference
from storage.roles import add_staff, link_candidate_account
from storage.unit import unit_factory
from tests.conftest import TEST_KEY
from tests.fuzzing import checks
from tests.fuzzing.strategies import (
    COMMANDS,
    PREFIXES,
    command_line,
    forged_payload,
    hostile_text,
    mutated,
)
from tests.staffed import ROOM

ROLES = ("citizen", "other", "moderator", "admin", "candidate")
PLACES = ("private", "group", "room")
#: Platform language hints: ours, others', none and nonsense.
HINTS = ("zh-hans", "zh-CN", "zh-TW", "en", "en-US", None, "", "fr", "ug", "xx-💥")
NOTHING: st.SearchStrategy[str] = st.nothing()
GROUP = ChatRef("memory", "some-group", private=False)
MODERATION_ROOM = ChatRef(*ROOM, private=False)
CANDIDACIES = (1, 2, 30, 59)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), "blue").save(out, "PNG")
    return out.getvalue()


PHOTOS = (_png(), b"", b"\x89PNG\r\n\x1a\n", b"GIF89a" + bytes(40), bytes(range(256)))


@dataclass(frozen=True)
class Vocabulary:
    """What one property sends: whose events, where, and which commands, words and
    payloads, with how often each kind of event comes (weights)."""

    roles: tuple[str, ...] = ROLES
    places: tuple[str, ...] = PLACES
    commands: tuple[str, ...] = COMMANDS
    #: Lines a flow expects (its commands with good arguments, answers to its questions).
    lines: st.SearchStrategy[str] = NOTHING
    prefixes: tuple[str, ...] = PREFIXES
    #: Commands sent with a code or receipt some reply showed (``/status``, ``/claim``).
    with_codes: tuple[str, ...] = ("status", "claim")
    #: Weights of: command, line, text, offered button, forged payload, changed offered
    #: button, someone else's button, a shown code, photo, other media.
    weights: tuple[int, ...] = (3, 0, 3, 4, 2, 2, 1, 1, 1, 1)


KINDS = (
    "command", "line", "text", "offered", "forged", "mutated", "stolen", "code", "photo",
    "media",
)  # fmt: skip


@dataclass
class Person:
    user: str
    hint: str | None
    #: Payloads of the buttons this user was offered, latest last.
    offered: list[str] = field(default_factory=list)


class World:
    def __init__(self, app: App, policy: Policy) -> None:
        self.app, self.policy = app, policy
        self.chat = MemoryAdapter(language=None)
        self.chat.attach(app.sink_for(self.chat))
        self.identity = Identity(TEST_KEY)
        self.catalogs = Catalogs()
        self.known = checks.Known()
        self.example = 0
        self.people: dict[str, Person] = {}
        self.errors: list[logging.LogRecord] = []
        self.events = 0
        self.codes: list[str] = []
        #: The private chats written in this example, with the sender's language hint.
        self.acted: dict[tuple[ChatRef, SenderRef], str | None] = {}

    # An example ------------------------------------------------------------

    async def begin(self, data: st.DataObject) -> None:
        """New people for a new example: staff and a candidate whose roles hold in storage."""
        await self._abandon()
        self.example += 1
        hints = data.draw(st.tuples(*(st.sampled_from(HINTS) for _ in ROLES)), label="hints")
        self.people = {
            role: Person(f"{role}-{self.example}", hint)
            for role, hint in zip(ROLES, hints, strict=True)
        }
        candidacy = data.draw(st.sampled_from(CANDIDACIES), label="candidacy")
        async with unit_factory(self.app.engine)() as unit:
            await add_staff(unit.session, "memory", self.people["moderator"].user,
                            StaffRole.moderator)  # fmt: skip
            await add_staff(unit.session, "memory", self.people["admin"].user, StaffRole.admin)
            await link_candidate_account(
                unit.session, candidacy, "memory", self.people["candidate"].user
            )
        self.known.said = []
        self.codes = []
        self.acted = {}
        self.log: list[str] = []
        await self.known.load(self.app.engine)

    async def _abandon(self) -> None:
        """Cancel what the last example left open when Hypothesis stopped it half-way
        (its data ran out): its drafts must not count against this one."""
        for event in self._cancels():
            await self.chat.inject(event)
        self.acted = {}

    def _cancels(self) -> list[Event]:
        """/cancel in every private chat this example wrote in."""
        return [
            event_from_text(
                "/cancel", chat=chat, sender=sender, language=hint, event_id=self.chat.next_id()
            )
            for (chat, sender), hint in self.acted.items()
        ]

    async def end(self) -> None:
        """Everyone cancels what they left open: no draft may outlive that; then the
        database must be whole."""
        for event in self._cancels():
            await self.send(event)
        drafts = self.app.ephemeral.count("draft:")  # type: ignore[attr-defined]
        assert drafts == 0, f"{drafts} drafts left after everyone cancelled: {self.log}"
        await checks.check_database(
            self.app.engine, self.policy.audit_key, self.policy.reports.keys
        )
        self.acted = {}

    # Events ---------------------------------------------------------------

    def where(self, person: Person, place: str) -> ChatRef:
        if place == "group":
            return GROUP
        if place == "room":
            return MODERATION_ROOM
        return ChatRef("memory", person.user, private=True)

    def line(self, person: Person, place: str, text: str) -> Event:
        return event_from_text(
            text, chat=self.where(person, place), sender=SenderRef("memory", person.user),
            language=person.hint, event_id=self.chat.next_id(),
        )  # fmt: skip

    def press(self, person: Person, place: str, payload: str) -> Event:
        return ButtonAction(
            chat=self.where(person, place), sender=SenderRef("memory", person.user),
            language=person.hint, event_id=self.chat.next_id(), payload=payload,
        )  # fmt: skip

    def person(self, data: st.DataObject, vocabulary: Vocabulary) -> tuple[Person, str]:
        person = self.people[data.draw(st.sampled_from(vocabulary.roles), label="who")]
        return person, data.draw(st.sampled_from(vocabulary.places), label="where")

    async def file_report(self, data: st.DataObject) -> None:
        """The citizen files a report the straight way, so that the queue has one."""
        citizen = self.people["citizen"]
        publish = data.draw(st.sampled_from(("yes", "no")), label="publish")
        for kind, value in (
            ("line", "/report"), ("press", "rpt:go"), ("press", "rptc:threatening_calls"),
            ("press", "rpta:330106"), ("press", "rptw:this_week"),
            ("line", "昨天晚上有人打电话威胁我的家人，要求我退出选举。"), ("press", "rptp:done"),
            ("press", f"rptpub:{publish}"), ("press", "rpts:send"),
        ):  # fmt: skip
            make = self.line if kind == "line" else self.press
            await self.send(make(citizen, "private", value))

    async def propose_statement(self) -> None:
        """The candidate sends a statement, so that the queue has an update too."""
        candidate = self.people["candidate"]
        for make, value in ((self.line, "/update"), (self.press, "upd:statement"),
                            (self.line, "Vote on 15 December!")):  # fmt: skip
            await self.send(make(candidate, "private", value))

    async def step(self, data: st.DataObject, vocabulary: Vocabulary) -> list[Reply]:
        """One event drawn from ``vocabulary``, sent and checked."""
        person, place = self.person(data, vocabulary)
        weighted = [k for k, w in zip(KINDS, vocabulary.weights, strict=True) for _ in range(w)]
        kind = data.draw(st.sampled_from(weighted), label="kind")
        offered = person.offered[-12:]
        everyone = [p for other in self.people.values() for p in other.offered]
        event: Event
        if kind == "command":
            event = self.line(person, place, data.draw(command_line(vocabulary.commands)))
        elif kind == "line":
            event = self.line(person, place, data.draw(vocabulary.lines, label="line"))
        elif kind == "code" and self.codes and vocabulary.with_codes:
            command = data.draw(st.sampled_from(vocabulary.with_codes))
            shown = data.draw(st.sampled_from(self.codes))
            event = self.line(person, place, f"/{command} {shown}")
        elif kind == "offered" and offered:
            event = self.press(person, place, data.draw(st.sampled_from(offered)))
        elif kind == "mutated" and offered:
            original = data.draw(st.sampled_from(offered))
            event = self.press(person, place, data.draw(mutated(original)))
        elif kind == "stolen" and everyone:
            event = self.press(person, place, data.draw(st.sampled_from(everyone)))
        elif kind == "forged":
            event = self.press(person, place, data.draw(forged_payload(vocabulary.prefixes)))
        elif kind == "photo":
            event = PhotoMessage(
                chat=self.where(person, place), sender=SenderRef("memory", person.user),
                language=person.hint, event_id=self.chat.next_id(),
                image=data.draw(st.sampled_from(PHOTOS)), caption=data.draw(hostile_text(20)),
            )  # fmt: skip
        elif kind == "media":
            event = UnsupportedMessage(
                chat=self.where(person, place), sender=SenderRef("memory", person.user),
                language=person.hint, event_id=self.chat.next_id(),
                kind=data.draw(st.sampled_from(("document", "voice", "sticker", "💥", ""))),
            )  # fmt: skip
        else:
            event = self.line(person, place, data.draw(hostile_text(), label="text"))
        replies = await self.send(event)
        person.offered += [b.payload for reply in replies for row in reply.buttons for b in row]
        return replies

    async def send(self, event: Event) -> list[Reply]:
        """``event`` handled by the core, and each reply checked."""
        before = len(self.errors)
        for name in ("text", "args", "caption", "payload"):
            said = getattr(event, name, None)
            if isinstance(said, str):
                self.known.said += [said, *said.split()]
        if event.chat.private:
            self.acted[(event.chat, event.sender)] = event.language
        replies = await self.chat.inject(event)
        self.events += 1
        what = f"{type(event).__name__} {_shown(event)} from {event.sender.id}"
        self.log.append(f"{what} in {event.chat.id}: {[r.text.plain[:60] for r in replies]}")
        assert len(self.errors) == before, f"{what}: {checks.describe(self.errors[before:])}"
        assert replies, f"{what}: no reply"
        language = await self.language_of(event.sender, event.language)
        for reply in replies:
            checks.check_markup(reply, language)
            checks.check_language(reply, language, self.known)
            self.codes += [span.text for span in reply.text.spans if span.style == "code"]
        return replies

    async def language_of(self, sender: SenderRef, hint: str | None) -> str:
        """The language the user's replies must be in: the one they chose, else their
        platform's, else Chinese."""
        key = self.identity.user_key(sender)
        async with self.app.engine.connect() as connection:
            stored = await connection.scalar(
                select(UserPreference.language).where(UserPreference.key == key)
            )
        return self.catalogs.choose(stored, normalize_language(hint))


def _shown(event: Event) -> str:
    for name in ("text", "name", "payload", "kind"):
        value = getattr(event, name, None)
        if value is not None:
            args = getattr(event, "args", "")
            return repr(f"{value} {args}".strip()[:200])
    return ""
