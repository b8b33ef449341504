"""/addcandidate: a volunteer or moderator enters a candidacy from the election
committee's notice (公告), step by step: the place, its election (or a new one), the
electoral district (or a new one, with its number and seats), the name, how they were
nominated (and by how many voters), the stage, and last the source (list_source.py).

Every step checks the role again, since a role may be taken away mid-flow. The steps
forgive as the report flow does: where a button is wanted, its label typed out is the
press, and so are the words people use ("联名", "正式"); a number answers "which
district"; anything else gets the question again with a hint. The steps that take a
value (name, nominators, seats) are shared with /editcandidate (list_edit.py), which
goes straight to the source once its one value is given. The buttons that typed answers
press are registered apart from their definition, so that they keep their own type."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Any

from bot.core.i18n import N_
from bot.core.markup import fmt, join, plain
from bot.core.replies import Button, Reply
from handlers.areas import (
    ELECTED_LEVELS,
    county_election,
    election_summary,
    one_place,
    paging,
    pick_elections,
)
from handlers.base import (
    EXPIRED,
    Ctx,
    action_arg,
    command_args,
    message_text,
    new_router,
    pressing,
)
from handlers.labels import NOMINATIONS, STAGES, label
from handlers.list_checks import checked_name, nominators_problem, seats_problem
from handlers.list_source import CANCEL, ask_source, draft_change
from handlers.policy import policy
from handlers.staff import enterer
from storage.areas import AreaView, get_area
from storage.elections import districts, elections_in_area, numbered_district
from storage.list_changes import current, listed_as
from storage.models import Candidacy, Election, ElectoralDistrict, Nomination, Stage

router = new_router()

PLACE, ELECTION, DISTRICT, NUMBER, SEATS = (
    "lists.place", "lists.election", "lists.district", "lists.number", "lists.seats",
)  # fmt: skip
NAME, NOMINATION, NOMINATORS, STAGE = (
    "lists.name", "lists.nomination", "lists.nominators", "lists.stage",
)  # fmt: skip
DISTRICTS_PER_PAGE = 8
#: Elections of a place offered; the newest first.
ELECTIONS_OFFERED = 3
HINT = N_("Please answer with one of the buttons, or /cancel. What you entered so far is kept.")
#: Typed answers to "how were they nominated?" and "which stage?", by the words people use.
NOMINATION_WORDS: dict[str, tuple[str, ...]] = {
    Nomination.voters_joint: ("联名", "选民", "voter", "joint"),
    Nomination.party: ("政党", "党", "party"),
    Nomination.organisation: ("团体", "人民团体", "organisation", "organization"),
}
#: Read in this order: "未当选" and "not elected" hold "当选" and "elected".
STAGE_WORDS: dict[str, tuple[str, ...]] = {
    Stage.not_elected: ("落选", "未当选", "没当选", "not elected"),
    Stage.elected: ("当选", "elected"),
    Stage.withdrawn: ("退出", "撤回", "withdrew", "withdrawn"),
    Stage.official: ("正式", "official"),
    Stage.nominated: ("初步", "提名", "推荐", "nominee", "nominated"),
}
UNKNOWN_WORDS = ("unknown", "not given", "不详", "未知", "没写", "没有写", "不清楚")
_NUMBER = re.compile(r"\d{1,4}")


def normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold().rstrip("。.!！")


def draft(ctx: Ctx) -> dict[str, Any]:
    return dict(ctx.state.data)


def editing(ctx: Ctx) -> bool:
    return ctx.state.data.get("mode") == "edit"


def cancel_row(ctx: Ctx) -> list[Button]:
    return [Button(ctx._("Cancel"), CANCEL)]


async def gate(ctx: Ctx, what: str) -> str | Reply:
    """The proposer, checked again at every step; a refusal ends the flow."""
    actor = await enterer(ctx, what)
    if isinstance(actor, Reply):
        ctx.state = ctx.state.fresh()
    return actor


async def typed_label(
    ctx: Ctx, question: Reply, press: Callable[[Ctx], Awaitable[Reply]]
) -> Reply | None:
    """The question's button whose label was typed, pressed; None if none was."""
    wanted = normal(message_text(ctx))
    for row in question.buttons:
        for button in row:
            if normal(button.label) == wanted and button.payload != CANCEL:
                return await press(pressing(ctx, button.payload))
    return None


def by_words(text: str, table: dict[str, tuple[str, ...]], allowed: list[str]) -> str | None:
    lowered = normal(text)
    for value, words in table.items():
        if value in allowed and any(word in lowered for word in words):
            return value
    return None


def again(ctx: Ctx, question: Reply, note: str = HINT) -> Reply:
    return Reply.of(join([plain(ctx._(note)), question.text]), question.buttons)


async def begin(
    ctx: Ctx, what: str, step: str, mode: str, answer: Callable[[Ctx, str], Awaitable[Reply]],
    ask: Callable[[Ctx], Reply],
) -> Reply:  # fmt: skip
    """/addcandidate or /editcandidate: the first question, or its answer when the command
    came with one."""
    actor = await gate(ctx, what)
    if isinstance(actor, Reply):
        return actor
    ctx.state = ctx.state.fresh().at(step, mode=mode)
    query = command_args(ctx)
    return await answer(ctx, query) if query else ask(ctx)


async def chosen_by_words(
    ctx: Ctx, what: str, question: Reply, press: Callable[[Ctx], Awaitable[Reply]],
    prefix: str, words: dict[str, tuple[str, ...]], allowed: list[str],
) -> Reply:  # fmt: skip
    """A typed answer where buttons were offered: a button's label, or the words people use
    for one of the ``allowed`` values; otherwise the question again."""
    actor = await gate(ctx, what)
    if isinstance(actor, Reply):
        return actor
    pressed = await typed_label(ctx, question, press)
    if pressed is not None:
        return pressed
    word = by_words(message_text(ctx), words, allowed)
    if word is None:
        return again(ctx, question)
    return await press(pressing(ctx, f"{prefix}:{word}"))


# The place and its election -------------------------------------------------------


@router.command("addcandidate", ends_flows=True)
async def add_command(ctx: Ctx) -> Reply:
    return await begin(ctx, "addcandidate", PLACE, "add", place_typed, ask_place)


def ask_place(ctx: Ctx) -> Reply:
    return Reply.of(
        ctx._(
            "Which county or township's election does the notice concern? Type its name, "
            "pinyin or division code (330106)."
        ),
        [cancel_row(ctx)],
    )


async def place_typed(ctx: Ctx, query: str) -> Reply:
    found = await one_place(ctx, query, "lsp")
    if isinstance(found, Reply):
        return Reply.of(found.text, [*found.buttons, cancel_row(ctx)])
    return await place_chosen(ctx, found)


@router.step(PLACE)
async def place_answer(ctx: Ctx) -> Reply:
    actor = await gate(ctx, "lists.place")
    return actor if isinstance(actor, Reply) else await place_typed(ctx, message_text(ctx))


@router.action("lsp", step=PLACE)
async def place_button(ctx: Ctx) -> Reply:
    actor = await gate(ctx, "lists.place")
    if isinstance(actor, Reply):
        return actor
    area = await get_area(ctx.unit.session, action_arg(ctx))
    return await place_chosen(ctx, area) if area else Reply.of(ctx._(EXPIRED))


async def place_chosen(ctx: Ctx, area: AreaView) -> Reply:
    if area.level not in ELECTED_LEVELS:
        return Reply.of(
            fmt(ctx._("Deputies are elected directly for counties and townships (Election Law "
                      "Art. 3), and {area} is neither. Type the county or township."),
                area=area.name),
            [cancel_row(ctx)],
        )  # fmt: skip
    ctx.state = ctx.state.at(ELECTION, place=area.code)
    return await ask_election(ctx, area)


async def ask_election(ctx: Ctx, area: AreaView) -> Reply:
    session = ctx.unit.session
    found = await elections_in_area(session, area.code, area.level)
    own = [e for e in found if e.area_code == area.code]
    upcoming, recent = pick_elections(own, policy(ctx).today())
    offered = [e for e in (upcoming, recent) if e is not None]
    offered += [e for e in reversed(own) if e not in offered][: ELECTIONS_OFFERED - len(offered)]
    county = await county_election(ctx, area)
    if county is not None and county[1] not in offered:
        offered.append(county[1])
    rows = [[Button(election_summary(ctx, e).plain, f"lse:{e.id}")] for e in offered]
    rows.append([Button(fmt(ctx._("A new election for {area}"), area=area.name).plain,
                        "lse:new")])  # fmt: skip
    rows.append(cancel_row(ctx))
    return Reply.of(ctx._("Which election? The notice names it."), rows)


async def election_button(ctx: Ctx) -> Reply:
    actor = await gate(ctx, "lists.election")
    if isinstance(actor, Reply):
        return actor
    choice = action_arg(ctx)
    if choice == "new":
        ctx.state = ctx.state.at(NUMBER, election=None, district=None)
        return ask_number(ctx)
    vote = await ctx.unit.session.get(Election, int(choice)) if choice.isdigit() else None
    if vote is None:
        return Reply.of(ctx._(EXPIRED))
    ctx.state = ctx.state.at(DISTRICT, election=vote.id)
    return await ask_district(ctx)


router.action("lse", step=ELECTION)(election_button)


@router.step(ELECTION)
async def election_typed(ctx: Ctx) -> Reply:
    actor = await gate(ctx, "lists.election")
    if isinstance(actor, Reply):
        return actor
    area = await get_area(ctx.unit.session, str(draft(ctx).get("place")))
    if area is None:
        ctx.state = ctx.state.fresh()
        return Reply.of(ctx._(EXPIRED))
    question = await ask_election(ctx, area)
    return await typed_label(ctx, question, election_button) or again(ctx, question)


# The electoral district --------------------------------------------------------------


async def ask_district(ctx: Ctx, offset: int = 0) -> Reply:
    election_id = int(draft(ctx)["election"])
    page, total = await districts(
        ctx.unit.session, election_id, limit=DISTRICTS_PER_PAGE, offset=offset
    )
    rows = [
        [Button(fmt(ctx._("{district} ({seats} seats, {count} candidates)"), district=d.name,
                    seats=str(d.seats), count=str(len(d.candidates))).plain, f"lsd:{d.id}")]
        for d in page
    ]  # fmt: skip
    rows.append(paging(ctx, "lsd:p", offset, DISTRICTS_PER_PAGE, total))
    rows.append([Button(ctx._("A new electoral district"), "lsd:new")])
    rows.append(cancel_row(ctx))
    return Reply.of(
        ctx._(
            "Which electoral district (选区)? Choose it, type it as the notice names it "
            "(第3选区), or add a new one."
        ),
        rows,
    )


async def district_button(ctx: Ctx) -> Reply:
    actor = await gate(ctx, "lists.district")
    if isinstance(actor, Reply):
        return actor
    choice = action_arg(ctx)
    if choice.startswith("p") and choice[1:].isdigit() and len(choice) < 8:
        return await ask_district(ctx, int(choice[1:]))
    if choice == "new":
        ctx.state = ctx.state.at(NUMBER, district=None)
        return ask_number(ctx)
    found = await districts_of_draft(ctx, int(choice)) if choice.isdigit() else None
    if found is None:
        return Reply.of(ctx._(EXPIRED))
    ctx.state = ctx.state.at(NAME, district=found)
    return ask_name(ctx)


router.action("lsd", step=DISTRICT)(district_button)


async def districts_of_draft(ctx: Ctx, district_id: int) -> int | None:
    """``district_id`` if it is a district of the draft's election."""
    found = await ctx.unit.session.get(ElectoralDistrict, district_id)
    return district_id if found and found.election_id == draft(ctx).get("election") else None


@router.step(DISTRICT)
async def district_typed(ctx: Ctx) -> Reply:
    actor = await gate(ctx, "lists.district")
    if isinstance(actor, Reply):
        return actor
    question = await ask_district(ctx)
    pressed = await typed_label(ctx, question, district_button)
    if pressed is not None:
        return pressed
    number = _NUMBER.search(message_text(ctx))
    if number is None:
        return again(ctx, question)
    found = await numbered_district(ctx.unit.session, int(draft(ctx)["election"]),
                                    int(number.group()))  # fmt: skip
    if found is not None:
        ctx.state = ctx.state.at(NAME, district=found.id)
        return ask_name(ctx)
    ctx.state = ctx.state.at(SEATS, district=None, number=int(number.group()))
    note = fmt(ctx._("There is no electoral district {number} yet: it will be added."),
               number=number.group())  # fmt: skip
    return Reply.of(join([note, ask_seats(ctx).text]), ask_seats(ctx).buttons)


def ask_number(ctx: Ctx) -> Reply:
    # No buttons: a number typed where buttons are shown would pick one (Matrix, console).
    return Reply.of(
        ctx._("What is the new electoral district's number on the notice? For 第3选区, type 3.")
    )


@router.step(NUMBER)
async def number_typed(ctx: Ctx) -> Reply:
    actor = await gate(ctx, "lists.number")
    if isinstance(actor, Reply):
        return actor
    numbers = _NUMBER.findall(message_text(ctx))
    if not numbers or int(numbers[0]) < 1:
        return again(ctx, ask_number(ctx), N_("Please type the district's number, such as 3."))
    number = int(numbers[0])
    election_id = draft(ctx).get("election")
    if isinstance(election_id, int):
        found = await numbered_district(ctx.unit.session, election_id, number)
        if found is not None:
            ctx.state = ctx.state.at(NAME, district=found.id)
            return ask_name(ctx)
    ctx.state = ctx.state.at(SEATS, number=number)
    if len(numbers) > 1:  # "3 2": the number and the seats at once
        return await seats_given(ctx, int(numbers[1]))
    return ask_seats(ctx)


def ask_seats(ctx: Ctx) -> Reply:
    labels = (ctx._("1 seat"), ctx._("2 seats"), ctx._("3 seats"))
    return Reply.of(
        ctx._("How many deputies does it elect? (Election Law Art. 25: one to three.)"),
        [[Button(text, f"lsz:{n}") for n, text in enumerate(labels, 1)], cancel_row(ctx)],
    )


async def seats_button(ctx: Ctx) -> Reply:
    actor = await gate(ctx, "lists.seats")
    if isinstance(actor, Reply):
        return actor
    arg = action_arg(ctx)
    return await seats_given(ctx, int(arg)) if arg in ("1", "2", "3") else Reply.of(ctx._(EXPIRED))


router.action("lsz", step=SEATS)(seats_button)


@router.step(SEATS)
async def seats_typed(ctx: Ctx) -> Reply:
    actor = await gate(ctx, "lists.seats")
    if isinstance(actor, Reply):
        return actor
    pressed = await typed_label(ctx, ask_seats(ctx), seats_button)
    if pressed is not None:
        return pressed
    number = _NUMBER.search(message_text(ctx))
    if number is None:
        return again(ctx, ask_seats(ctx))
    return await seats_given(ctx, int(number.group()))


async def seats_given(ctx: Ctx, seats: int) -> Reply:
    problem = seats_problem(seats)
    if problem is not None:
        return Reply.of(join([problem.render(ctx), ask_seats(ctx).text]), ask_seats(ctx).buttons)
    if editing(ctx):
        return await value_given(ctx, seats)
    ctx.state = ctx.state.at(NAME, seats=seats)
    return ask_name(ctx)


# The candidate ------------------------------------------------------------------------


def ask_name(ctx: Ctx) -> Reply:
    return Reply.of(
        ctx._("The candidate's name, in Chinese characters as the notice prints it:"),
        [cancel_row(ctx)],
    )


@router.step(NAME)
async def name_typed(ctx: Ctx) -> Reply:
    actor = await gate(ctx, "lists.name")
    if isinstance(actor, Reply):
        return actor
    name = checked_name(message_text(ctx))
    if not isinstance(name, str):
        return Reply.of(join([name.render(ctx), ask_name(ctx).text]), [cancel_row(ctx)])
    district = draft(ctx).get("district")
    if editing(ctx):
        district = await _district_of(ctx)
    listed = await listed_as(ctx.unit.session, district if isinstance(district, int) else None,
                             name)  # fmt: skip
    if listed is not None and listed != draft(ctx).get("candidacy"):  # not the one corrected
        return Reply.of(
            fmt(ctx._("“{name}” is already listed in that electoral district. To correct them, "
                      "send /editcandidate {number}."), name=name, number=str(listed)),
            [cancel_row(ctx)],
        )  # fmt: skip
    if editing(ctx):
        return await value_given(ctx, name)
    ctx.state = ctx.state.at(NOMINATION, name=name)
    return ask_nomination(ctx)


async def _district_of(ctx: Ctx) -> int | None:
    candidacy = await ctx.unit.session.get(Candidacy, int(draft(ctx).get("candidacy") or 0))
    return candidacy.district_id if candidacy else None


def ask_nomination(ctx: Ctx) -> Reply:
    rows = [[Button(ctx._(text), f"lsn:{value}")] for value, text in NOMINATIONS.items()]
    return Reply.of(ctx._("How were they nominated?"), [*rows, cancel_row(ctx)])


async def nomination_button(ctx: Ctx) -> Reply:
    actor = await gate(ctx, "lists.nomination")
    if isinstance(actor, Reply):
        return actor
    nomination = action_arg(ctx)
    if nomination not in NOMINATIONS:
        return Reply.of(ctx._(EXPIRED))
    if nomination == Nomination.voters_joint:
        ctx.state = ctx.state.at(NOMINATORS, nomination=nomination)
        return ask_nominators(ctx)
    return await nomination_given(ctx, nomination, None)


router.action("lsn", step=NOMINATION)(nomination_button)


@router.step(NOMINATION)
async def nomination_typed(ctx: Ctx) -> Reply:
    return await chosen_by_words(ctx, "lists.nomination", ask_nomination(ctx), nomination_button,
                                 "lsn", NOMINATION_WORDS, list(NOMINATIONS))  # fmt: skip


def ask_nominators(ctx: Ctx) -> Reply:
    # No buttons: a number typed where buttons are shown would pick one (Matrix, console).
    return Reply.of(
        ctx._(
            "How many voters nominated them jointly, as the notice says? Type the number "
            "(at least ten, Election Law Art. 30), or “unknown” if the notice does not say."
        )
    )


@router.step(NOMINATORS)
async def nominators_typed(ctx: Ctx) -> Reply:
    actor = await gate(ctx, "lists.nominators")
    if isinstance(actor, Reply):
        return actor
    text = message_text(ctx)
    if any(word in normal(text) for word in UNKNOWN_WORDS):
        return await nomination_given(ctx, Nomination.voters_joint, None)
    number = _NUMBER.search(text)
    if number is None:
        return again(ctx, ask_nominators(ctx), N_("Please type a number, or “unknown”."))
    problem = nominators_problem(int(number.group()))
    if problem is not None:
        return Reply.of(join([problem.render(ctx), ask_nominators(ctx).text]))
    return await nomination_given(ctx, Nomination.voters_joint, int(number.group()))


async def nomination_given(ctx: Ctx, nomination: str, nominators: int | None) -> Reply:
    if editing(ctx):
        return await value_given(ctx, [nomination, nominators])
    ctx.state = ctx.state.at(STAGE, nomination=nomination, nominators=nominators)
    return ask_stage(ctx)


def stages_offered(ctx: Ctx) -> list[str]:
    """A new candidacy is a nominee or on the official list; a correction may be any."""
    if editing(ctx):
        return [s.value for s in Stage]
    return [Stage.nominated.value, Stage.official.value]


def ask_stage(ctx: Ctx) -> Reply:
    rows = [[Button(label(STAGES, value, ctx._), f"lss:{value}")] for value in stages_offered(ctx)]
    return Reply.of(
        ctx._("Which list is it? The nominees' list, or the official list of candidates "
              "(Election Law Art. 32)."),
        [*rows, cancel_row(ctx)],
    )  # fmt: skip


async def stage_button(ctx: Ctx) -> Reply:
    actor = await gate(ctx, "lists.stage")
    if isinstance(actor, Reply):
        return actor
    stage = action_arg(ctx)
    if stage not in stages_offered(ctx):
        return Reply.of(ctx._(EXPIRED))
    if editing(ctx):
        return await value_given(ctx, stage)
    ctx.state = ctx.state.at(STAGE, stage=stage)
    return await to_source(ctx)


router.action("lss", step=STAGE)(stage_button)


@router.step(STAGE)
async def stage_typed(ctx: Ctx) -> Reply:
    return await chosen_by_words(ctx, "lists.stage", ask_stage(ctx), stage_button, "lss",
                                 STAGE_WORDS, stages_offered(ctx))  # fmt: skip


# Corrections and the end ----------------------------------------------------------------


async def value_given(ctx: Ctx, after: object) -> Reply:
    """A correction's new value: on to the source, unless it is what is recorded."""
    session = ctx.unit.session
    candidacy = await session.get(Candidacy, int(draft(ctx).get("candidacy") or 0))
    if candidacy is None:
        ctx.state = ctx.state.fresh()
        return Reply.of(ctx._("That candidacy no longer exists. Nothing was changed."))
    field = str(draft(ctx).get("field"))
    before = await current(session, candidacy, field)
    if before == after:
        ctx.state = ctx.state.fresh()
        return Reply.of(ctx._("That is what is recorded already. Nothing to change."))
    ctx.state = ctx.state.at(STAGE, before=before, after=after)
    return await to_source(ctx)


async def to_source(ctx: Ctx) -> Reply:
    change = draft_change(draft(ctx))
    if change is None:
        ctx.state = ctx.state.fresh()
        return Reply.of(ctx._(EXPIRED))
    return await ask_source(ctx, change)


@router.action("lsx")
async def cancel_button(ctx: Ctx) -> Reply:
    if not (ctx.state.step or "").startswith("lists."):
        return Reply.of(ctx._("There is nothing to cancel."))
    ctx.state = ctx.state.fresh()
    return Reply.of(ctx._("Cancelled. Nothing was filed."))
