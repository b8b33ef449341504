"""Property-based fuzzing of the whole bot: random and hostile events from random roles,
in random order, through the real core and every handler, on SQLite and PostgreSQL.

After every event: no error was logged (the dispatcher would have turned an exception
into a polite reply), there is a reply, in the user's language, and each reply renders
as Telegram HTML, Matrix HTML and the web page with no markup coming from text. After
every example: nothing a user left open survives /cancel, foreign keys hold, no report
or platform point is half-written, and the audit chain verifies.

``make test`` runs the short profile (6 to 20 examples per property, derandomized, so CI
sees the same ones every time); ``CANDIBOT_FUZZ=long`` runs 10,000 random ones per
property and shrinks a failure (``CANDIBOT_FUZZ=300``: 300). Hypothesis keeps no example
database (``database=None``).
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from telegram import Update

from bot.adapters.console import ConsoleAdapter
from bot.adapters.matrix import incoming as matrix_in
from bot.adapters.telegram.incoming import Me, to_event
from bot.core.events import ChatRef, Event, SenderRef
from handlers.reports import PREFIXES as REPORT_PREFIXES
from tests.fuzzing import checks
from tests.fuzzing.strategies import (
    COMMANDS,
    DATES,
    NUMBERS,
    PLACES,
    PREFIXES,
    arguments,
    hostile_text,
    payload_args,
)
from tests.fuzzing.world import Vocabulary, World
from tests.staffed import staff_policy, staffed_app

# Hypothesis caches what it learns of Unicode in a directory of its own: not the checkout.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "candibot-hypothesis")
CHOSEN = os.environ.get("CANDIBOT_FUZZ", "").lower()
#: The long profile: ``long``, or how many examples per property (random ones, shrunk).
LONG = CHOSEN == "long" or CHOSEN.isdecimal()


def profile(examples: int) -> settings:
    """The short profile for ``make test``, or the long one under CANDIBOT_FUZZ=long."""
    wanted = int(CHOSEN) if CHOSEN.isdecimal() else 10_000
    return settings(
        max_examples=wanted if LONG else examples,
        deadline=None,
        derandomize=not LONG,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
            HealthCheck.data_too_large, HealthCheck.filter_too_much,
        ],
        # Shrinking replays examples against a database that has moved on: worth it in
        # a long run, while the short one reports the failing draws as they came.
        phases=list(Phase) if LONG else [Phase.explicit, Phase.reuse, Phase.generate],
        print_blob=True,
    )  # fmt: skip


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    policy = staff_policy()
    app = await staffed_app(db_url, policy)
    with checks.logged_errors() as errors:
        world = World(app, policy)
        world.errors = errors
        yield world
    await app.close()


async def run(world: World, data: st.DataObject, vocabulary: Vocabulary, most: int) -> None:
    await world.begin(data)
    for _ in range(data.draw(st.integers(1, most), label="events")):
        await world.step(data, vocabulary)
    await world.end()


@profile(20)
@given(data=st.data())
async def test_any_event_from_anyone_anywhere_is_answered_safely(
    world: World, data: st.DataObject
) -> None:
    await run(world, data, Vocabulary(), 10)


#: Anyone, mostly where each role works: staff and candidates in private chats.
ANYONE = Vocabulary(
    roles=("citizen", "other", "moderator", "moderator", "admin", "admin", "candidate"),
    places=("private", "private", "private", "room", "group"),
)


#: Each registry of the router: its names, the event for one, and the garbage after it.
REGISTRIES = {
    "commands": (COMMANDS, "line", lambda n, a: f"/{n} {a}".rstrip(), arguments()),
    "buttons": (PREFIXES, "press", lambda p, a: f"{p}:{a}", payload_args()),
}


@pytest.mark.parametrize("registry", sorted(REGISTRIES))
@profile(6)
@given(data=st.data())
async def test_every_command_and_button_takes_anything_from_any_role(
    world: World, data: st.DataObject, registry: str
) -> None:
    """Every command and every button prefix of the router's registry, each example,
    with drawn arguments, from a drawn role in a drawn place: forged payloads must
    change nothing and be answered."""
    names, kind, shaped, args = REGISTRIES[registry]
    await world.begin(data)
    for name in names:
        person, place = world.person(data, ANYONE)
        drawn = data.draw(st.one_of(st.sampled_from(NUMBERS), args), label=name)
        await world.send(getattr(world, kind)(person, place, shaped(name, drawn)))
    await world.end()


DESCRIPTIONS = (
    "昨天晚上有人打电话威胁我的家人，要求我退出选举。",
    "My employer said I would lose my job if I stood as a candidate.",
    "<b>警察</b> & 保安 blocked the meeting ‮at the hall",
)
REPORTING = Vocabulary(
    roles=("citizen", "citizen", "citizen", "other"),
    places=("private", "private", "private", "private", "group"),
    commands=("report", "cancel", "status", "start", "help", "search", "language", "area"),
    lines=st.sampled_from(("/report", "/cancel", "/report", *DESCRIPTIONS, *PLACES)),
    prefixes=(*REPORT_PREFIXES, "rstat", "rstatc"),
    with_codes=("status",),
    weights=(1, 3, 2, 8, 2, 1, 0, 1, 2, 1),
)


@profile(20)
@given(data=st.data())
async def test_a_report_in_any_order_of_its_steps(world: World, data: st.DataObject) -> None:
    """The report's steps pressed and typed in any order, with photos, commands in the
    middle and stale or forged buttons; /status with the receipt it gave."""
    await run(world, data, REPORTING, 16)


CANDIDATE_LINES = st.one_of(
    st.sampled_from(("/update", "/myprofile", "/verify 1", "/queue", "/candidate 1",
                     "/trust 1", "/trust 1 off", "/revoke 1", "https://example.org/zeng",
                     "A meeting with voters.", "文三路广场")),
    st.sampled_from(DATES),
)  # fmt: skip
CANDIDATES = Vocabulary(
    roles=("candidate", "candidate", "candidate", "moderator", "admin", "citizen"),
    places=("private", "private", "private", "room"),
    commands=("update", "myprofile", "claim", "verify", "revoke", "trust", "queue", "candidate",
              "cancel"),
    lines=CANDIDATE_LINES,
    prefixes=("upd", "updt", "updw", "qc", "cand"),
    with_codes=("claim",),
    weights=(1, 4, 2, 8, 2, 2, 1, 2, 0, 0),
)  # fmt: skip


@profile(20)
@given(data=st.data())
async def test_candidate_flows_in_any_order(world: World, data: st.DataObject) -> None:
    """Claim codes, updates of every kind, their review and /myprofile, in any order."""
    await run(world, data, CANDIDATES, 16)


SETDATE = st.builds(
    lambda place, when, status, source: " ".join(("/setdate", place, when, status, source)),
    st.sampled_from(PLACES), st.sampled_from(DATES) | st.builds(
        lambda m, d: f"{m} {d}", st.sampled_from(("roll", "nominees", "official")),
        st.sampled_from(DATES)),
    st.sampled_from(("", "announced", "held", "postponed", "已公布", "nonsense")),
    hostile_text(20),
)  # fmt: skip
STAFF = Vocabulary(
    roles=("moderator", "moderator", "moderator", "admin", "admin", "citizen", "candidate"),
    places=("private", "private", "private", "room", "group"),
    commands=("queue", "setdate", "stats", "audit", "mods", "verify", "trust", "status",
              "cancel"),
    lines=st.one_of(SETDATE, st.sampled_from(
        ("/queue", "/queue", "/queue quarantine", "/queue 隔离", "/stats", "/audit",
         "/mods list", "A summary: threats by phone in Xihu.", "你能说得更具体一点吗？"))),
    prefixes=("q", "qc", "sd"),
    with_codes=("status",),
    weights=(1, 4, 2, 8, 2, 2, 1, 1, 0, 0),
)  # fmt: skip


@profile(12)
@given(data=st.data())
async def test_staff_flows_in_any_order(world: World, data: st.DataObject) -> None:
    """The moderation queue with reports and candidates' updates waiting in it, and
    /setdate, pressed and typed in any order by moderators, administrators and others."""
    await world.begin(data)
    await world.file_report(data)
    await world.propose_statement()
    for _ in range(data.draw(st.integers(1, 16), label="events")):
        await world.step(data, STAFF)
    await world.end()


#: What a platform's JSON can carry, lone surrogates too (as ``\ud800`` escapes), which
#: neither Telegram's nor Matrix's servers send but a JSON parser hands on.
ANY_CODE_POINTS = st.one_of(hostile_text(), st.text(st.characters(), max_size=30))
ME = Me(1, "candibot")


async def _nothing_to_fetch(file_id: str) -> bytes:
    return b""


async def from_platform(data: st.DataObject, world: World, platform: str) -> Event | None:
    """An event as ``platform``'s adapter makes it from drawn raw input."""
    person, _ = world.person(data, ANYONE)
    if platform == "console":
        raw = data.draw(
            st.binary(max_size=40)
            | ANY_CODE_POINTS.map(lambda text: text.encode("utf-8", "surrogatepass")),
            label="bytes",
        )
        console = ConsoleAdapter(io.BytesIO(), io.StringIO(), user_id=person.user,
                                 language=person.hint)  # fmt: skip
        return console._event(raw.replace(b"\n", b" "))
    text = data.draw(ANY_CODE_POINTS, label="text")
    if platform == "telegram":
        update = {
            "update_id": world.events + 1,
            "message": {
                "message_id": 1, "date": 0, "chat": {"id": 7000 + world.example, "type": "private"},
                "from": {"id": 7000 + world.example, "is_bot": False, "first_name": "x",
                         "language_code": person.hint},
                "text": text,
            },
        }  # fmt: skip
        return await to_event(Update.de_json(json.loads(json.dumps(update)), None), ME,
                              _nothing_to_fetch)  # fmt: skip
    source = {"type": "m.room.message", "content": {"msgtype": "m.text", "body": text}}
    incoming = matrix_in.read(json.loads(json.dumps(source)))
    user = f"@{person.user}:example.org"
    return matrix_in.text_event(
        incoming.text, (), chat=ChatRef("matrix", f"!{person.user}:example.org", True),
        sender=SenderRef("matrix", user), event_id=f"${world.events}",
    )  # fmt: skip


@profile(20)
@given(data=st.data())
async def test_what_each_adapter_reads_the_core_answers(world: World, data: st.DataObject) -> None:
    """Raw bytes on the console (not UTF-8, encoded surrogates), and Telegram updates and
    Matrix events whose JSON carries any code point: the event each adapter makes is
    answered, and a text the core cannot take is refused in the user's language."""
    await world.begin(data)
    for _ in range(data.draw(st.integers(1, 6), label="events")):
        platform = data.draw(st.sampled_from(("console", "telegram", "matrix")), label="from")
        event = await from_platform(data, world, platform)
        if event is not None:
            await world.send(event)
    await world.end()
