"""Finding one's district: /area with drill-down buttons and name search, and the area view."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.core.i18n import N_
from bot.core.markup import Text, bold, fmt, join, plain
from bot.core.replies import Button, Reply
from handlers.base import EXPIRED, Ctx, action_arg, command_args, message_text, new_router, number
from handlers.labels import ELECTION_STATUSES, LEVELS, NOMINATIONS, STAGES, label, long_date
from handlers.policy import policy
from handlers.start import DESCRIPTIONS
from storage.areas import (
    AreaView,
    ancestors,
    children,
    count_children,
    get_area,
    search_areas,
)
from storage.elections import (
    CandidateBrief,
    DistrictView,
    ElectionView,
    districts,
    elections_in_area,
)
from storage.models import AreaLevel, ElectionStatus
from storage.search_keys import display_place_pinyin

router = new_router()

AREAS_PER_PAGE = 24
DISTRICTS_PER_PAGE = 5
ASK_AREA = "area.ask"
DEMO_MARK = "[demo]"
PLACE_HINT = N_("Try its name in characters (西湖区), in pinyin (xihu) or initials (xhq).")
ASK_PLACE = N_("For which place? Type the name of your district or town, or use /area.")
NOW_BUTTON = N_("What can I still do?")
COMPARE_BUTTON = N_("Candidates side by side")
#: Elections are held for counties and townships (Art. 3); a province has none of its own.
ELECTED_LEVELS = frozenset({AreaLevel.county, AreaLevel.township})


def remember_area(ctx: Ctx, code: str) -> None:
    """Later questions (/elections, /topics) default to the last area looked at."""
    ctx.state = ctx.state.remember(area=code)


def remembered_area(ctx: Ctx) -> str | None:
    code = ctx.state.memory.get("area")
    return code if isinstance(code, str) else None


def readable(ctx: Ctx, name: str, pinyin: str | None = None) -> str:
    """A name in characters, with its pinyin beside it for English readers."""
    if not ctx.language.startswith("en"):
        return name
    return f"{name} {pinyin if pinyin is not None else display_place_pinyin(name)}"


def area_buttons(
    ctx: Ctx, items: list[AreaView], per_row: int = 2, action: str = "area"
) -> list[list[Button]]:
    buttons = [Button(readable(ctx, a.name), f"{action}:{a.code}") for a in items]
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def paging(ctx: Ctx, prefix: str, offset: int, per_page: int, total: int) -> list[Button]:
    row = []
    if offset > 0:
        row.append(Button(ctx._("‹ Previous"), f"{prefix}:{max(offset - per_page, 0)}"))
    if offset + per_page < total:
        row.append(Button(ctx._("Next ›"), f"{prefix}:{offset + per_page}"))
    return row


async def list_children(ctx: Ctx, parent: AreaView | None, offset: int = 0) -> Reply:
    session = ctx.unit.session
    code = parent.code if parent else None
    items = await children(session, code, limit=AREAS_PER_PAGE, offset=offset)
    total = await count_children(session, code)
    if parent is None:
        heading = plain(ctx._("Choose your province, or type the name of your district:"))
    else:
        heading = fmt(ctx._("Places in {area}:"), area=bold(parent.name))
    buttons = area_buttons(ctx, items)
    buttons.append(paging(ctx, f"sub:{code or ''}", offset, AREAS_PER_PAGE, total))
    return Reply.of(heading, buttons)


def election_summary(ctx: Ctx, election: ElectionView) -> Text:
    level = label(LEVELS, election.level, ctx._)
    status = label(ELECTION_STATUSES, election.status, ctx._)
    if election.election_day is None:
        # "Not announced yet (expected)" would contradict itself: only a status that
        # adds something is said.
        unknown = (
            ctx._("{area}, {level}: election day not announced yet ({status})")
            if election.status == ElectionStatus.postponed
            else ctx._("{area}, {level}: election day not announced yet")
        )
        line = fmt(unknown, area=election.area_name, level=level, status=status)
    else:
        line = fmt(
            ctx._("{area}, {level}: election day {date} ({status})"),
            area=election.area_name,
            level=level,
            date=long_date(election.election_day, ctx.language),
            status=status,
        )
    if election.demo:
        line += " " + ctx._(DEMO_MARK)
    return line


def candidate_line(ctx: Ctx, candidate: CandidateBrief, position: int) -> Text:
    """ "3. 曾立新 (Zēng Lìxīn) · official candidate · voter-nominated (选民联名推荐)", numbered
    as its button is, so that answering "3" (Matrix) opens this one."""
    return fmt(
        ctx._("{number}. {name} ({pinyin}) · {stage} · {nomination}"),
        number=str(position),
        name=candidate.name,
        pinyin=candidate.pinyin,
        stage=label(STAGES, candidate.stage, ctx._),
        nomination=label(NOMINATIONS, candidate.nomination, ctx._),
    )


def district_block(ctx: Ctx, district: DistrictView, first: int) -> Text:
    """The district and its candidates, numbered from ``first``."""
    name = district.name
    lines: list[Text] = [
        fmt(ctx._("{district} ({seats} seats):"), district=bold(name), seats=str(district.seats))
    ]
    lines += [
        plain("  ") + candidate_line(ctx, c, first + n) for n, c in enumerate(district.candidates)
    ]
    if not district.candidates:
        lines.append(plain("  " + ctx._("No candidates listed yet.")))
    return join(lines)


def candidate_buttons(
    ctx: Ctx, candidates: Sequence[CandidateBrief], per_row: int = 2
) -> list[list[Button]]:
    """A button for every candidate listed, in the order they are numbered (Matrix shows
    buttons as options numbered in this order)."""
    labelled = [Button(readable(ctx, c.name, c.pinyin), f"cand:{c.id}") for c in candidates]
    return [labelled[i : i + per_row] for i in range(0, len(labelled), per_row)]


def pick_elections(
    items: list[ElectionView], today: date
) -> tuple[ElectionView | None, ElectionView | None]:
    """The next election (upcoming or date unknown) and the most recent one held."""
    upcoming = [
        e
        for e in items
        if e.status != ElectionStatus.held and (e.election_day is None or e.election_day >= today)
    ]
    past = [
        e
        for e in items
        if e.status == ElectionStatus.held or (e.election_day and e.election_day < today)
    ]
    upcoming.sort(key=lambda e: (e.election_day is None, e.election_day or today))
    past.sort(key=lambda e: e.election_day or today, reverse=True)
    return (upcoming[0] if upcoming else None), (past[0] if past else None)


async def county_election(ctx: Ctx, area: AreaView) -> tuple[AreaView, ElectionView] | None:
    """For a township or street office: its county and the county's own election (the
    next, else the latest), in which its voters also elect deputies directly (Art. 3)."""
    if area.level != AreaLevel.township or not area.parent_code:
        return None
    county = await get_area(ctx.unit.session, area.parent_code)
    if county is None:
        return None
    found = await elections_in_area(ctx.unit.session, county.code, county.level)
    upcoming, recent = pick_elections(
        [e for e in found if e.area_code == county.code], policy(ctx).today()
    )
    election = upcoming or recent
    return (county, election) if election is not None else None


def county_line(ctx: Ctx, county: str, election: ElectionView) -> Text:
    return fmt(
        ctx._("Voters here also elect the deputies of {county}: {election}"),
        county=county,
        election=election_summary(ctx, election),
    )


async def county_pointer(
    ctx: Ctx, area: AreaView, action: str = "area"
) -> tuple[Text, Button] | None:
    """For a township or street office without an election of its own: the county's,
    in which its voters also elect deputies directly (Election Law Art. 3); its button
    goes to ``action``."""
    found = await county_election(ctx, area)
    if found is None:
        return None
    county, election = found
    button = Button(f"{county.name} ›", f"{action}:{county.code}")
    return county_line(ctx, county.name, election), button


def voters_elections(
    elections: list[ElectionView], area: AreaView, today: date
) -> tuple[ElectionView | None, ElectionView | None, bool]:
    """The next and the latest election of the place, and whether they are its own: a
    township without an election of its own has those of the county whose electoral
    district covers it."""
    own = [e for e in elections if e.area_code == area.code]
    if own or area.level != AreaLevel.township:
        return (*pick_elections(own, today), True)
    return (*pick_elections([e for e in elections if e.area_code != area.code], today), False)


async def show_area(ctx: Ctx, code: str, offset: int = 0) -> Reply:
    session = ctx.unit.session
    chain = await ancestors(session, code)
    if not chain:
        return Reply.of(ctx._("I do not know that place any more. Type /area to start again."))
    area = chain[-1]
    remember_area(ctx, area.code)
    path = " › ".join(a.name for a in chain if not a.placeholder)
    # A province is its own path: its name once.
    lines: list[Text] = [bold(area.name)] + ([plain(path)] if path != area.name else [])
    buttons: list[list[Button]] = []
    elections = await elections_in_area(session, area.code, area.level)
    upcoming, recent, _ = voters_elections(elections, area, policy(ctx).today())
    main = upcoming or recent
    if main is None:
        lines.append(plain(ctx._("No election is recorded for this place.")))
        pointer = await county_pointer(ctx, area)
        if pointer is not None:
            lines.append(pointer[0])
            buttons.append([pointer[1]])
    else:
        if upcoming:
            lines.append(fmt(ctx._("Next: {election}"), election=election_summary(ctx, upcoming)))
        if recent:
            lines.append(
                fmt(ctx._("Most recent: {election}"), election=election_summary(ctx, recent))
            )
        page, total = await districts(session, main.id, limit=DISTRICTS_PER_PAGE, offset=offset)
        if area.level == AreaLevel.township and main.area_code != area.code:
            page = [d for d in page if d.candidates] or page
        lines.append(
            fmt(
                ctx._("Electoral districts {first}–{last} of {total}:"),
                first=str(offset + 1),
                last=str(offset + len(page)),
                total=str(total),
            )
        )
        listed = [c for d in page for c in d.candidates]
        first = 1
        for d in page:
            lines.append(district_block(ctx, d, first))
            first += len(d.candidates)
        buttons += candidate_buttons(ctx, listed)
        buttons.append(paging(ctx, f"dist:{area.code}", offset, DISTRICTS_PER_PAGE, total))
    others = [e for e in elections if e not in (upcoming, recent)]
    if others:
        lines.append(
            fmt(
                ctx._("{count} more elections in this area: see /elections"), count=str(len(others))
            )
        )
    if await count_children(session, area.code):
        buttons.append([Button(ctx._("Places inside ›"), f"sub:{area.code}:0")])
    buttons.append(
        [
            Button(ctx._("Election dates"), f"el:{area.code}"),
            Button(ctx._("Platforms by topic"), f"tp:{area.code}"),
        ]
    )
    buttons.append([Button(ctx._(NOW_BUTTON), f"now:{area.code}")])
    if main is not None:
        buttons[-1].append(Button(ctx._(COMPARE_BUTTON), f"cmpa:{area.code}"))
    if area.parent_code:
        buttons.append([Button(ctx._("‹ Up"), f"area:{area.parent_code}")])
    return Reply.of(join(lines), buttons)


async def place_label(ctx: Ctx, code: str, depth: int = 3) -> str:
    """The place with its parents (浙江省 › 杭州市 › 西湖区): there are two 西湖区."""
    chain = [a for a in await ancestors(ctx.unit.session, code) if not a.placeholder]
    path = " › ".join(a.name for a in chain[-depth:])
    return readable(ctx, path, display_place_pinyin(chain[-1].name)) if chain else path


async def place_buttons(
    ctx: Ctx, places: list[AreaView], action: str = "area"
) -> list[list[Button]]:
    """One button per place, labelled with its parents."""
    return [
        [Button(await place_label(ctx, place.code), f"{action}:{place.code}")] for place in places
    ]


def no_place(ctx: Ctx, query: str, hint: str) -> Reply:
    """ "I found no place called …", and ``hint`` (a msgid) on what to try instead."""
    return Reply.of(
        join([fmt(ctx._("I found no place called “{query}”."), query=query), plain(ctx._(hint))])
    )


async def find_area(ctx: Ctx, query: str, action: str = "area") -> Reply:
    """Show the place called ``query``, or let the user pick; a pick goes to ``action``."""
    found = await search_areas(ctx.unit.session, query, limit=8)
    if len(found) == 1 and action == "area":
        return await show_area(ctx, found[0].code)
    if found:
        buttons = await place_buttons(ctx, found, action)
        return Reply.of(fmt(ctx._("Places matching “{query}”:"), query=query), buttons)
    return no_place(ctx, query, PLACE_HINT)


async def one_place(ctx: Ctx, query: str, action: str) -> AreaView | Reply:
    """The one place ``query`` names (characters, pinyin, initials, a path or a code), or
    a reply: buttons to ``action`` when several match or near spellings do, else none
    found."""
    found = await search_areas(ctx.unit.session, query, limit=8)
    exact = [area for area in found if area.name == query.strip()]
    if len(exact) == 1:
        return exact[0]
    if len(found) == 1:
        return found[0]
    if found:
        buttons = await place_buttons(ctx, found, action)
        return Reply.of(fmt(ctx._("Places matching “{query}”:"), query=query), buttons)
    return no_place(ctx, query, PLACE_HINT)


async def drill_down(
    ctx: Ctx, parent_code: str | None, offset: int, *, pick: str, more: str, pick_label: str
) -> Reply:
    """The places under ``parent_code`` (at the top the provinces) to choose from: a
    township is picked with a button to ``pick``, anything above it opened with ``more``
    (``more:code:offset``), and an open county is picked with ``pick_label`` (a msgid
    with ``{area}``)."""
    session = ctx.unit.session
    parent = await get_area(session, parent_code) if parent_code else None
    items = await children(session, parent_code, limit=AREAS_PER_PAGE, offset=offset)
    if len(items) == 1 and items[0].placeholder and offset == 0:
        # 北京市 › 市辖区 › 海淀区: the placeholder level is no choice; step through it.
        return await drill_down(ctx, items[0].code, 0, pick=pick, more=more, pick_label=pick_label)
    total = await count_children(session, parent_code)
    if parent is not None and parent.placeholder and parent.parent_code:
        parent = await get_area(session, parent.parent_code) or parent
    rows: list[list[Button]] = []
    if parent is not None and parent.level in ELECTED_LEVELS:
        rows.append([Button(fmt(ctx._(pick_label), area=parent.name).plain,
                            f"{pick}:{parent.code}")])  # fmt: skip
    # A township has nothing below it to open; anything else may be opened.
    buttons = [
        Button(item.name, f"{pick}:{item.code}" if item.level == AreaLevel.township
               else f"{more}:{item.code}:0")
        for item in items
    ]  # fmt: skip
    rows += [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append(paging(ctx, f"{more}:{parent_code or ''}", offset, AREAS_PER_PAGE, total))
    heading = (
        plain(ctx._("Which place? Type its name, or choose:"))
        if parent is None
        else fmt(ctx._("Places in {area}:"), area=bold(parent.name))
    )
    return Reply.of(heading, [row for row in rows if row])


async def drill_press(ctx: Ctx, *, pick: str, more: str, pick_label: str) -> Reply:
    """A press of a ``more:code:offset`` button of ``drill_down``."""
    code, _, offset = action_arg(ctx).partition(":")
    start = number(offset)
    if start is None or len(offset) > 6:
        return Reply.of(ctx._(EXPIRED))
    if code and await get_area(ctx.unit.session, code) is None:
        return Reply.of(ctx._(EXPIRED))
    return await drill_down(ctx, code or None, start, pick=pick, more=more, pick_label=pick_label)


@router.command("area", "district", description=DESCRIPTIONS["area"])
async def area_command(ctx: Ctx) -> Reply:
    query = command_args(ctx)
    if query:
        return await find_area(ctx, query)
    ctx.state = ctx.state.at(ASK_AREA)
    return await list_children(ctx, None)


@router.step(ASK_AREA)
async def area_answer(ctx: Ctx) -> Reply:
    ctx.state = ctx.state.at(None)
    return await find_area(ctx, message_text(ctx))


@router.action("area")
async def area_button(ctx: Ctx) -> Reply:
    ctx.state = ctx.state.at(None)
    return await show_area(ctx, action_arg(ctx))


@router.action("sub")
async def children_button(ctx: Ctx) -> Reply:
    code, _, offset = action_arg(ctx).partition(":")
    start = number(offset)
    if start is None:
        return Reply.of(ctx._(EXPIRED))
    parent = await get_area(ctx.unit.session, code) if code else None
    if code and parent is None:
        return Reply.of(ctx._(EXPIRED))
    return await list_children(ctx, parent, start)


@router.action("dist")
async def districts_button(ctx: Ctx) -> Reply:
    code, _, offset = action_arg(ctx).partition(":")
    start = number(offset)
    if start is None:
        return Reply.of(ctx._(EXPIRED))
    return await show_area(ctx, code, start)
