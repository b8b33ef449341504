"""/compare: the candidates of one electoral district side by side, topic by topic,
with "no statement" where a candidate said nothing on a topic; paged for a phone
screen, and withheld on election day (Art. 34)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.core.i18n import N_
from bot.core.markup import Text, bold, fmt, italic, join, plain
from bot.core.replies import Button, Reply
from handlers.areas import (
    ELECTED_LEVELS,
    candidate_buttons,
    candidate_line,
    county_pointer,
    drill_down,
    drill_press,
    election_summary,
    one_place,
    paging,
    readable,
    remember_area,
    remembered_area,
    voters_elections,
)
from handlers.base import (
    EXPIRED,
    Ctx,
    action_arg,
    command_args,
    leave_step,
    message_text,
    new_router,
    number,
)
from handlers.labels import SEPARATOR, TOPICS, label, untranslated
from handlers.policy import QUIET_NOTE, policy
from handlers.start import DEMO_NOTICE, DESCRIPTIONS
from storage.areas import AreaView, get_area
from storage.candidates import PointView, platforms
from storage.elections import (
    CandidateBrief,
    DistrictView,
    covering_districts,
    district,
    districts,
    election,
    elections_in_area,
    numbered_district,
)
from storage.models import Stage, Topic

router = new_router()

ASK = "compare.ask"
#: Districts offered at a time when a place has many.
CHOICES_PER_PAGE = 10
#: A phone screen: lines of about this many columns (a Chinese character takes two),
#: and the lines of topics a page holds. A topic is never split, so one long topic
#: may make a longer page.
SCREEN_COLUMNS = 36
PAGE_ROWS = 24
PICK = N_("{area}: compare candidates")
#: "西湖区 3", "西湖区第3选区", "xihu district 3"; alone, "3" or "第3选区".
_NUMBERED = (
    re.compile(r"(?P<place>.*?)\s*第\s*(?P<number>\d{1,4})\s*(?:号)?\s*选区"),
    re.compile(r"(?P<place>.*?\S)\s+(?:district\s*|no\.?\s*|#)?(?P<number>\d{1,4})", re.I),
    re.compile(r"(?P<place>)(?:district\s*|no\.?\s*|#)?(?P<number>\d{1,4})", re.I),
)


def split_district(query: str) -> tuple[str, int | None]:
    """The place and the district number in what was typed after /compare."""
    text = unicodedata.normalize("NFKC", query).strip()
    for pattern in _NUMBERED:
        found = pattern.fullmatch(text)
        if found:
            return found["place"].strip(), int(found["number"])
    return text, None


def rows(text: str) -> int:
    """The screen lines ``text`` takes on a phone, with the blank line after it."""
    widths = (
        sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)
        for line in text.split("\n")
    )
    return sum(max(1, -(-width // SCREEN_COLUMNS)) for width in widths) + 1


@dataclass(frozen=True, slots=True)
class Section:
    topic: str
    text: Text


def sections(
    ctx: Ctx, candidates: list[CandidateBrief], points: dict[int, tuple[PointView, ...]]
) -> list[Section]:
    """One section per topic some candidate speaks to, every candidate in it."""
    spoken = {p.topic for ps in points.values() for p in ps}
    found = []
    for topic in (t.value for t in Topic if t.value in spoken):
        lines: list[Text] = [bold(label(TOPICS, topic, ctx._))]
        for candidate in candidates:
            said = [p for p in points[candidate.id] if p.topic == topic]
            statement = (
                join([untranslated(ctx, p.text, p.language) for p in said], " ")
                if said
                else italic(ctx._("no statement"))
            )
            lines.append(
                fmt(
                    ctx._("• {name}: {statement}"),
                    name=readable(ctx, candidate.name, candidate.pinyin),
                    statement=statement,
                )
            )
        found.append(Section(topic, join(lines)))
    return found


def pages(items: list[Section]) -> list[list[Section]]:
    """Topics packed in order into pages of about a phone screen each."""
    packed: list[list[Section]] = []
    height = 0
    for item in items:
        size = rows(item.text.plain)
        if packed and height + size <= PAGE_ROWS:
            packed[-1].append(item)
            height += size
        else:
            packed.append([item])
            height = size
    return packed


async def comparison(ctx: Ctx, district_id: int, page: int) -> Reply:
    session = ctx.unit.session
    found = await district(session, district_id)
    vote = await election(session, found.election_id) if found else None
    if found is None or vote is None:
        return Reply.of(ctx._(EXPIRED))
    lines: list[Text] = [
        bold(
            fmt(
                ctx._("Candidates side by side: {area}, {district} ({seats} seats)"),
                area=vote.area_name,
                district=found.name,
                seats=str(found.seats),
            )
        ),
        election_summary(ctx, vote),
    ]
    if policy(ctx).quiet(vote.election_day):
        return Reply.of(join([*lines, plain(ctx._(QUIET_NOTE))]))
    standing = [c for c in found.candidates if c.stage != Stage.withdrawn]
    withdrawn = [c for c in found.candidates if c.stage == Stage.withdrawn]
    if not standing:
        return Reply.of(join([*lines, plain(ctx._("No candidates listed yet."))]))
    points = await platforms(session, [c.id for c in standing], ctx.language)
    packed = pages(sections(ctx, standing, points))
    buttons: list[list[Button]] = []
    if page == 0:
        lines += [candidate_line(ctx, c, n) for n, c in enumerate(standing, 1)]
        buttons += candidate_buttons(ctx, standing)
        if withdrawn:
            lines.append(
                fmt(
                    ctx._("Withdrawn, not compared: {names}"),
                    names=ctx._(SEPARATOR).join(c.name for c in withdrawn),
                )
            )
    if not packed:
        lines.append(
            fmt(ctx._("No candidate in {area} has a published platform yet."), area=found.name)
        )
        return Reply.of(join(lines), buttons)
    page = min(page, len(packed) - 1)
    if len(packed) > 1:
        lines.append(
            italic(fmt(ctx._("Page {page} of {pages}"), page=str(page + 1), pages=str(len(packed))))
        )
    blocks = [join(lines), *(s.text for s in packed[page])]
    if page == len(packed) - 1:
        silent = [
            label(TOPICS, t.value, ctx._)
            for t in Topic
            if t != Topic.other and all(s.topic != t.value for shown in packed for s in shown)
        ]
        if silent:
            blocks.append(
                fmt(
                    ctx._("No candidate here has a statement on: {topics}"),
                    topics=ctx._(SEPARATOR).join(silent),
                )
            )
    if vote.demo:
        blocks.append(italic(ctx._(DEMO_NOTICE)))
    buttons.append(paging(ctx, f"cmp:{district_id}", page, 1, len(packed)))
    return Reply.of(join(blocks, "\n\n"), buttons)


async def choose_district(
    ctx: Ctx, area: AreaView, number: int | None = None, offset: int = 0
) -> Reply:
    """The place's electoral districts to compare; the comparison itself when there is
    only one, or when ``number`` names one."""
    if area.level not in ELECTED_LEVELS:
        note = fmt(
            ctx._("Elections are held for counties and townships, not for all of {area}. "
                  "Choose one:"),
            area=area.name,
        )  # fmt: skip
        return Reply.of(note, (await _drill(ctx, area.code, 0)).buttons)
    remember_area(ctx, area.code)
    session = ctx.unit.session
    elections = await elections_in_area(session, area.code, area.level)
    upcoming, recent, own = voters_elections(elections, area, policy(ctx).today())
    main = upcoming or recent
    if main is None:
        lines: list[Text] = [fmt(ctx._("No election is recorded for {area}."), area=area.name)]
        pointer = await county_pointer(ctx, area, action="cmpa")
        buttons = [[pointer[1]]] if pointer else []
        if pointer:
            lines.append(pointer[0])
        buttons.append([Button(ctx._("Choose another place"), "menu:area")])
        return Reply.of(join(lines), buttons)
    if number is not None:
        numbered = await numbered_district(session, main.id, number)
        if numbered is not None:
            return await comparison(ctx, numbered.id, 0)
    if own:
        page, total = await districts(session, main.id, limit=CHOICES_PER_PAGE, offset=offset)
    else:
        page = await covering_districts(session, main.id, area.code)
        total = len(page)
    if total == 1 and number is None:
        return await comparison(ctx, page[0].id, 0)
    lines = [election_summary(ctx, main)]
    if number is not None:
        lines.insert(
            0,
            fmt(
                ctx._("{area} has no electoral district {number}."),
                area=main.area_name,
                number=str(number),
            ),
        )
    lines.append(plain(ctx._("Which electoral district? Choose one to compare its candidates.")))
    rows = [[_district_button(ctx, d)] for d in page]
    rows.append(paging(ctx, f"cmpa:{area.code}", offset, CHOICES_PER_PAGE, total))
    return Reply.of(join(lines), rows)


def _district_button(ctx: Ctx, item: DistrictView) -> Button:
    text = fmt(
        ctx._("{district} ({count} candidates)"),
        district=item.name,
        count=str(len(item.candidates)),
    )
    return Button(text.plain, f"cmp:{item.id}:0")


async def _drill(ctx: Ctx, parent_code: str | None, offset: int) -> Reply:
    return await drill_down(ctx, parent_code, offset, pick="cmpa", more="cmpdd", pick_label=PICK)


async def compare_for_text(ctx: Ctx, query: str) -> Reply:
    place, number = split_district(query)
    if not place:
        code = remembered_area(ctx)
        area = await get_area(ctx.unit.session, code) if code else None
        if area is None:
            ctx.state = ctx.state.at(ASK)
            return await _drill(ctx, None, 0)
        return await choose_district(ctx, area, number)
    found = await one_place(ctx, place, "cmpa")
    return found if isinstance(found, Reply) else await choose_district(ctx, found, number)


@router.command("compare", description=DESCRIPTIONS["compare"])
async def compare_command(ctx: Ctx) -> Reply:
    return await compare_for_text(ctx, command_args(ctx))


@router.step(ASK)
async def compare_answer(ctx: Ctx) -> Reply:
    ctx.state = ctx.state.at(None)
    return await compare_for_text(ctx, message_text(ctx))


@router.action("cmpa")
async def place_button(ctx: Ctx) -> Reply:
    leave_step(ctx, ASK)
    code, _, offset = action_arg(ctx).partition(":")
    area = await get_area(ctx.unit.session, code)
    start = number(offset or "0")
    if area is None or start is None or len(offset) > 6:
        return Reply.of(ctx._(EXPIRED))
    return await choose_district(ctx, area, offset=start)


@router.action("cmpdd")
async def drill_button(ctx: Ctx) -> Reply:
    return await drill_press(ctx, pick="cmpa", more="cmpdd", pick_label=PICK)


@router.action("cmp")
async def page_button(ctx: Ctx) -> Reply:
    district_id, _, page = action_arg(ctx).partition(":")
    district, start = number(district_id), number(page)
    if district is None or start is None or len(district_id + page) > 12:
        return Reply.of(ctx._(EXPIRED))
    return await comparison(ctx, district, start)
