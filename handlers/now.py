"""/now: what a voter, and someone who wants to stand, can still do before their place's
election, each step with its deadline and article, as of today in China.

The steps' texts are message ids in ``handlers/data/steps.toml``; their dates come from
``handlers.milestones`` (the law's periods, or the dates the committee announced).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources

from bot.core.i18n import N_
from bot.core.markup import Text, TextLike, bold, fmt, italic, join, plain
from bot.core.replies import Button, Reply
from handlers import alerts
from handlers.areas import (
    ELECTED_LEVELS,
    county_election,
    county_line,
    drill_down,
    drill_press,
    election_summary,
    one_place,
    remember_area,
    remembered_area,
    voters_elections,
)
from handlers.base import Ctx, action_arg, command_args, leave_step, message_text, new_router
from handlers.labels import long_date
from handlers.milestones import (
    NOMINEES_DAYS_BEFORE,
    OBJECTION_DAYS,
    ROLL_DAYS_BEFORE,
    Timeline,
    timeline,
)
from handlers.policy import policy
from handlers.start import DESCRIPTIONS
from storage.areas import AreaView, get_area
from storage.elections import ElectionView, elections_in_area
from storage.models import ElectionStatus

router = new_router()

ASK = "now.ask"
#: The states of a step, in the words of the data file.
AHEAD, OPEN, LAST, PAST, UNKNOWN = "ahead", "open", "last", "past", "unknown"
AUDIENCES = ("voter", "stand")
#: The law's period each step's text may name as {days}.
PERIODS = {"roll": ROLL_DAYS_BEFORE, "object": OBJECTION_DAYS,
           "nominate": NOMINEES_DAYS_BEFORE, "stand": NOMINEES_DAYS_BEFORE}  # fmt: skip
PICK = N_("{area}: what can I still do?")
HEADINGS = {"voter": N_("As a voter:"), "stand": N_("If you want to stand:")}


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    audience: str
    article: str  # msgid
    #: State -> msgid; "ahead" and "last" may be missing (then "open" is said).
    texts: dict[str, str]

    def text(self, state: str) -> str:
        return self.texts.get(state) or self.texts[OPEN]


@cache
def steps() -> tuple[Step, ...]:
    raw = tomllib.loads(resources.files("handlers.data").joinpath("steps.toml").read_text("utf-8"))
    return tuple(
        Step(
            id=s["id"],
            audience=s["audience"],
            article=s["article"],
            texts={k: v for k, v in s.items() if k in (AHEAD, OPEN, LAST, PAST, UNKNOWN)},
        )
        for s in raw["step"]
    )


@dataclass(frozen=True, slots=True)
class Window:
    """When a step can be taken: from ``opens`` (None: it is open already) to ``closes``
    inclusive; its text names ``shown``, which is the latest the law allows when the
    committee has not announced it (``latest``)."""

    opens: date | None
    closes: date
    shown: date
    latest: bool = False

    def state(self, today: date) -> str:
        if self.opens is not None and today < self.opens:
            return AHEAD
        if today < self.closes:
            return OPEN
        return LAST if today == self.closes else PAST


def windows(t: Timeline) -> dict[str, Window]:
    """Each step's window, from the election's dates."""
    eve = t.election_day - timedelta(days=1)
    # Nominations are gathered before the committee publishes the nominees (Art. 32).
    nominations = Window(None, t.nominees - timedelta(days=1), t.nominees, t.nominees_derived)
    meetings = Window(None, eve, eve)  # Art. 34: introduction stops on election day
    return {
        "roll": Window(t.roll, t.objection, t.roll, t.roll_derived),
        "object": Window(t.roll, t.objection, t.objection, t.roll_derived),
        "nominate": nominations,
        "stand": nominations,
        "meet": meetings,
        "introduce": meetings,
        "vote": Window(t.election_day, t.election_day, t.election_day),
    }


def _day(ctx: Ctx, window: Window) -> TextLike:
    day = long_date(window.shown, ctx.language)
    return fmt(ctx._("{date} at the latest"), date=day) if window.latest else day


def _line(ctx: Ctx, step: Step, text: Text) -> Text:
    return fmt(ctx._("• {text} ({article})"), text=text, article=ctx._(step.article))


def step_lines(ctx: Ctx, election: ElectionView, today: date) -> list[Text]:
    """The steps still open, by audience, then those past; every step while the
    election day is not known."""
    t = timeline(election)
    if t is None or election.status == ElectionStatus.postponed:
        lines: list[Text] = []
        for audience in AUDIENCES:
            lines.append(bold(ctx._(HEADINGS[audience])))
            for step in (s for s in steps() if s.audience == audience):
                text = fmt(ctx._(step.text(UNKNOWN)), days=str(PERIODS.get(step.id, "")))
                lines.append(
                    _line(ctx, step, text) + " " + italic(ctx._("[date not announced yet]"))
                )
        return lines
    spans = windows(t)
    open_lines: dict[str, list[Text]] = {audience: [] for audience in AUDIENCES}
    past: list[Text] = []
    for step in steps():
        window = spans[step.id]
        state = window.state(today)
        text = fmt(
            ctx._(step.text(state)),
            date=_day(ctx, window),
            days=str(PERIODS.get(step.id, "")),
        )
        if state == PAST:
            # Steps shared by both audiences (the same wording) are listed once.
            if _line(ctx, step, text) not in past:
                past.append(_line(ctx, step, text))
        else:
            open_lines[step.audience].append(_line(ctx, step, text))
    lines = []
    for audience in AUDIENCES:
        if open_lines[audience]:
            lines += [bold(ctx._(HEADINGS[audience])), *open_lines[audience]]
    if not any(open_lines.values()):
        lines.append(plain(ctx._("Nothing is open any more: every step of this election is past.")))
    if past:
        lines += [bold(ctx._("Already past:")), *past]
    return lines


@dataclass(frozen=True, slots=True)
class Chosen:
    """The election whose steps are shown, whether it is the place's own, and for a
    township the county's election, in which its voters also elect deputies (Art. 3)."""

    election: ElectionView | None
    own: bool
    county: tuple[AreaView, ElectionView] | None


async def _chosen(ctx: Ctx, area: AreaView, today: date) -> Chosen:
    elections = await elections_in_area(ctx.unit.session, area.code, area.level)
    upcoming, recent, own = voters_elections(elections, area, today)
    county = await county_election(ctx, area)
    election = upcoming or recent
    if election is None:
        # No election of its own and no district covering it: its county's.
        return Chosen(county[1] if county else None, False, county)
    return Chosen(election, own, county)


async def now_reply(ctx: Ctx, code: str | None) -> Reply:
    code = code or remembered_area(ctx)
    if code is None:
        ctx.state = ctx.state.at(ASK)
        return await _drill(ctx, None, 0)
    area = await get_area(ctx.unit.session, code)
    if area is None:
        return Reply.of(ctx._("I do not know that place any more. Type /area to start again."))
    remember_area(ctx, area.code)
    if area.level not in ELECTED_LEVELS:
        note = fmt(
            ctx._("Elections are held for counties and townships, not for all of {area}. "
                  "Choose one:"),
            area=area.name,
        )  # fmt: skip
        return Reply.of(note, (await _drill(ctx, area.code, 0)).buttons)
    today = policy(ctx).today()
    lines: list[Text] = [
        bold(fmt(ctx._("What you can still do in {area}"), area=area.name)),
        fmt(ctx._("Today is {date}."), date=long_date(today, ctx.language)),
    ]
    chosen = await _chosen(ctx, area, today)
    election = chosen.election
    if election is None:
        lines.append(fmt(ctx._("No election is recorded for {area}."), area=area.name))
        return Reply.of(
            join(lines),
            [alerts.offer(ctx, area.code), [Button(ctx._("Choose another place"), "menu:area")]],
        )
    pointer: list[Button] = []
    if chosen.own:
        lines.append(election_summary(ctx, election))
    else:
        lines.append(fmt(ctx._("No election is recorded for {area}."), area=area.name))
        lines.append(county_line(ctx, election.area_name, election))
        pointer.append(Button(f"{election.area_name} ›", f"area:{election.area_code}"))
    buttons: list[list[Button]] = []
    if election.election_day is None or election.status == ElectionStatus.postponed:
        if election.status == ElectionStatus.postponed and election.election_day:
            lines.append(
                fmt(
                    ctx._("Postponed: it was planned for {date}; the new day is not known yet."),
                    date=long_date(election.election_day, ctx.language),
                )
            )
        else:
            lines.append(plain(ctx._("The election day has not been announced yet.")))
        buttons.append(alerts.offer(ctx, area.code))
    elif election.election_day >= today:
        buttons.append([Button(ctx._("Remind me before each deadline"), f"alert:{area.code}")])
    else:
        lines.append(plain(ctx._("No coming election is recorded here yet.")))
        buttons.append(alerts.offer(ctx, area.code))
    lines += step_lines(ctx, election, today)
    if chosen.own and chosen.county is not None:
        county, county_vote = chosen.county
        lines.append(county_line(ctx, county.name, county_vote))
        pointer.append(Button(f"{county.name} ›", f"now:{county.code}"))
    lines.append(
        italic(
            ctx._("Summaries of the Election Law (as amended in 2020); the law's text prevails.")
        )
    )
    buttons.append(
        [Button(ctx._("Election dates"), f"el:{area.code}"), Button(ctx._("My rights"), "rights:")]
    )
    buttons.append(pointer)
    return Reply.of(join(lines), buttons)


async def _drill(ctx: Ctx, parent_code: str | None, offset: int) -> Reply:
    return await drill_down(ctx, parent_code, offset, pick="now", more="nowdd", pick_label=PICK)


async def now_for_text(ctx: Ctx, query: str) -> Reply:
    found = await one_place(ctx, query, "now")
    return found if isinstance(found, Reply) else await now_reply(ctx, found.code)


@router.command("now", description=DESCRIPTIONS["now"])
async def now_command(ctx: Ctx) -> Reply:
    query = command_args(ctx).strip()
    return await now_for_text(ctx, query) if query else await now_reply(ctx, None)


@router.step(ASK)
async def now_answer(ctx: Ctx) -> Reply:
    ctx.state = ctx.state.at(None)
    return await now_for_text(ctx, message_text(ctx))


@router.action("now")
async def now_button(ctx: Ctx) -> Reply:
    leave_step(ctx, ASK)
    return await now_reply(ctx, action_arg(ctx) or None)


@router.action("nowdd")
async def drill_button(ctx: Ctx) -> Reply:
    return await drill_press(ctx, pick="now", more="nowdd", pick_label=PICK)
