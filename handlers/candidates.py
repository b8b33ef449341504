"""Finding candidates by name and showing their profiles: /search, /candidate, plain text."""

from __future__ import annotations

from bot.core.markup import Text, TextLike, bold, fmt, italic, join, link, plain
from bot.core.replies import Button, Reply
from handlers.areas import find_area, place_buttons
from handlers.base import EXPIRED, Ctx, action_arg, command_args, message_text, new_router, number
from handlers.labels import (
    ELECTION_STATUSES,
    NOMINATIONS,
    STAGES,
    TOPICS,
    label,
    long_date,
    untranslated,
)
from handlers.names import looks_like_a_person
from handlers.policy import QUIET_NOTE, policy
from handlers.sources import describe, notice_button
from handlers.start import DEMO_NOTICE, DESCRIPTIONS
from storage.areas import names_a_place, search_areas
from storage.candidates import (
    CandidacySummary,
    Profile,
    SearchPage,
    candidacy_profile,
    search_candidacies,
)
from storage.models import ElectionStatus, Nomination, UpdateKind

router = new_router()

PAGE_SIZE = 8
ASK_SEARCH = "search.ask"
ASK_CANDIDATE = "candidate.ask"


# Rendering -----------------------------------------------------------------


def district_label(ctx: Ctx, item: CandidacySummary) -> Text:
    if item.district_number is not None:
        return fmt(
            ctx._("{area}, electoral district {number}"),
            area=item.area_name,
            number=str(item.district_number),
        )
    return fmt(ctx._("{area}, {district}"), area=item.area_name, district=item.district_name)


def profile_line(ctx: Ctx, item: CandidacySummary, position: int | None = None) -> Text:
    """One line that identifies a candidacy: name, district, stage, how nominated; in a
    list, numbered as its button is."""
    fields: dict[str, TextLike] = {
        "name": bold(item.name),
        "pinyin": item.pinyin,
        "district": district_label(ctx, item),
        "stage": label(STAGES, item.stage, ctx._),
        "nomination": label(NOMINATIONS, item.nomination, ctx._),
    }
    if position is None:
        line = fmt(ctx._("{name} ({pinyin}) · {district} · {stage} · {nomination}"), **fields)
    else:
        line = fmt(
            ctx._("{number}. {name} ({pinyin}) · {district} · {stage} · {nomination}"),
            number=str(position),
            **fields,
        )
    if item.demo:
        line += " " + ctx._("[demo]")
    return line


def election_line(ctx: Ctx, item: CandidacySummary) -> Text:
    status = label(ELECTION_STATUSES, item.election_status, ctx._)
    if item.election_day is None:
        if item.election_status != ElectionStatus.postponed:
            return plain(ctx._("Election day: not announced yet"))
        return fmt(ctx._("Election day: not announced yet ({status})"), status=status)
    return fmt(
        ctx._("Election day: {date} ({status})"),
        date=long_date(item.election_day, ctx.language),
        status=status,
    )


def render_profile(ctx: Ctx, profile: Profile) -> Reply:
    item = profile.summary
    lines: list[Text] = [profile_line(ctx, item)]
    if profile.verified:
        lines.append(plain("✔ " + ctx._("A verified account speaks for this candidate.")))
    if profile.aliases:
        lines.append(fmt(ctx._("Also known as: {names}"), names="、".join(profile.aliases)))
    lines.append(
        fmt(
            ctx._("Electoral district: {district} ({seats} seats)"),
            district=item.district_name,
            seats=str(item.seats),
        )
    )
    if item.nomination == Nomination.voters_joint and item.nominator_count:
        lines.append(
            fmt(
                ctx._("Nominated jointly by {count} voters (Election Law Art. 30)."),
                count=str(item.nominator_count),
            )
        )
    lines.append(election_line(ctx, item))
    lines.append(source_line(ctx, profile))
    if policy(ctx).quiet(item.election_day):
        lines.append(plain(ctx._(QUIET_NOTE)))
    else:
        lines += platform_lines(ctx, profile) + update_lines(ctx, profile)
    if item.demo:
        lines.append(italic(ctx._(DEMO_NOTICE)))
    buttons = [[notice_button(ctx, item.id)]] if profile.photo_kept else []
    return Reply.of(join(lines), buttons)


def source_line(ctx: Ctx, profile: Profile) -> Text:
    """Where the candidacy was checked, and when, as Democracy Club's lists say it."""
    source = describe(ctx._, profile.source, demo=profile.summary.demo,
                      kept=profile.photo_kept)  # fmt: skip
    if profile.checked_on is None:
        return fmt(ctx._("Source: {source} · date of the check not given"), source=source)
    return fmt(
        ctx._("Source: {source} · checked {date}"),
        source=source,
        date=long_date(profile.checked_on, ctx.language),
    )


def platform_lines(ctx: Ctx, profile: Profile) -> list[Text]:
    if not profile.points:
        return [plain(ctx._("No platform published yet."))]
    lines = [bold(ctx._("Platform:"))]
    for point in profile.points:
        text = untranslated(ctx, point.text, point.language)
        if point.revised_on:
            revised = fmt(ctx._("(revised {date})"), date=long_date(point.revised_on, ctx.language))
            text += " " + italic(revised)
        lines.append(
            fmt(ctx._("• {topic}: {text}"), topic=label(TOPICS, point.topic, ctx._), text=text)
        )
    return lines


def update_lines(ctx: Ctx, profile: Profile) -> list[Text]:
    lines: list[Text] = []
    if profile.updates:
        lines.append(bold(ctx._("Latest updates:")))
    for update in profile.updates:
        text = untranslated(ctx, update.text, update.language)
        if update.kind == UpdateKind.event and update.event_day:
            text = fmt(
                ctx._("Campaign event on {date} at {place}: {text}"),
                date=long_date(update.event_day, ctx.language),
                place=update.place or "?",
                text=text,
            )
        elif update.kind == UpdateKind.withdrawal:
            text = fmt(ctx._("Withdrew from the election: {text}"), text=text)
        day = long_date(update.published_on, ctx.language) if update.published_on else ""
        lines.append(fmt(ctx._("• {date}: {text}"), date=day, text=text))
    if profile.links:
        lines.append(bold(ctx._("Links:")))
        lines += [
            plain("• ") + (link(u.text or u.url, u.url) if u.url else plain(u.text))
            for u in profile.links
        ]
    return lines


def render_results(ctx: Ctx, query: str, page: SearchPage, offset: int) -> Reply:
    if page.fuzzy:
        heading = fmt(ctx._("No candidate is called “{query}”. Did you mean:"), query=query)
    else:
        heading = fmt(ctx._("Candidates matching “{query}”:"), query=query)
    lines = [heading, *(profile_line(ctx, item, n) for n, item in enumerate(page.items, 1))]
    buttons = [
        [Button(f"{item.name} · {item.area_name}", f"cand:{item.id}")] for item in page.items
    ]
    paging = []
    if offset > 0:
        paging.append(Button(ctx._("‹ Previous"), f"srch:{max(offset - PAGE_SIZE, 0)}"))
    if page.has_more:
        paging.append(Button(ctx._("Next ›"), f"srch:{offset + PAGE_SIZE}"))
    return Reply.of(join(lines), [*buttons, paging])


def no_match(ctx: Ctx, query: str) -> Reply:
    return Reply.of(
        join(
            [
                fmt(ctx._("I found no candidate called “{query}”."), query=query),
                plain(
                    ctx._(
                        "Try the name in characters (王芳), in pinyin (wang fang) "
                        "or by its initials (wf)."
                    )
                ),
            ]
        )
    )


# Flows ---------------------------------------------------------------------


async def search(ctx: Ctx, query: str, offset: int = 0) -> Reply:
    """Candidates by name, for what was asked as a name: nothing found is said so."""
    return await find(ctx, query, offset) or no_match(ctx, query)


async def find(ctx: Ctx, query: str, offset: int = 0) -> Reply | None:
    """Candidates called ``query``, or near it, or the places it names; None when
    nothing comes near."""
    page = await search_candidacies(ctx.unit.session, query, limit=PAGE_SIZE, offset=offset)
    if not page.items:
        places = await search_areas(ctx.unit.session, query, limit=4)
        if not places:
            return None
        if names_a_place(query, places):
            return await find_area(ctx, query)
        lines = [plain(ctx._("Did you mean one of these places?"))]
        if looks_like_a_person(query):
            lines.insert(0, fmt(ctx._("I found no candidate called “{query}”."), query=query))
        return Reply.of(join(lines), await place_buttons(ctx, places))
    if offset == 0 and len(page.items) == 1 and not page.has_more and not page.fuzzy:
        return await show_profile(ctx, page.items[0].id)
    # Remember the query for the paging buttons: it would not fit in 64 bytes of payload.
    ctx.state = ctx.state.at(None, query=query)
    results = render_results(ctx, query, page, offset)
    if page.fuzzy and offset == 0:
        # A guess at a name may be a mistyped place ("xhiu" for 西湖): offer both.
        places = await search_areas(ctx.unit.session, query, limit=3)
        if places:
            text = join([results.text, plain(ctx._("Or one of these places?"))])
            return Reply.of(text, [*results.buttons, *await place_buttons(ctx, places)])
    return results


async def show_profile(ctx: Ctx, candidacy_id: int) -> Reply:
    profile = await candidacy_profile(ctx.unit.session, candidacy_id, ctx.language)
    if profile is None:
        return Reply.of(
            fmt(ctx._("There is no candidate number {number}."), number=str(candidacy_id))
        )
    return render_profile(ctx, profile)


def ask_for_name(ctx: Ctx) -> Reply:
    ctx.state = ctx.state.at(ASK_SEARCH)
    return Reply.of(ctx._("Whom are you looking for? Send a name in characters or pinyin."))


async def lookup(ctx: Ctx, text: str) -> Reply:
    """A number opens that candidacy; anything else is a name search."""
    ctx.state = ctx.state.at(None)
    candidacy_id = number(text)
    if candidacy_id is not None:
        return await show_profile(ctx, candidacy_id)
    return await search(ctx, text)


@router.command("search", "s", description=DESCRIPTIONS["search"])
async def search_command(ctx: Ctx) -> Reply:
    query = command_args(ctx)
    return await search(ctx, query) if query else ask_for_name(ctx)


@router.command("candidate", "c", description=DESCRIPTIONS["candidate"])
async def candidate_command(ctx: Ctx) -> Reply:
    query = command_args(ctx)
    if query:
        return await lookup(ctx, query)
    ctx.state = ctx.state.at(ASK_CANDIDATE)
    return Reply.of(ctx._("Which candidate? Send their number or name, or /cancel."))


@router.step(ASK_SEARCH)
async def search_answer(ctx: Ctx) -> Reply:
    ctx.state = ctx.state.at(None)
    return await search(ctx, message_text(ctx))


@router.step(ASK_CANDIDATE)
async def candidate_answer(ctx: Ctx) -> Reply:
    return await lookup(ctx, message_text(ctx))


@router.action("cand")
async def candidate_button(ctx: Ctx) -> Reply:
    candidacy_id = number(action_arg(ctx))
    if candidacy_id is None:
        return Reply.of(ctx._(EXPIRED))
    return await show_profile(ctx, candidacy_id)


@router.action("srch")
async def page_button(ctx: Ctx) -> Reply:
    query = ctx.state.data.get("query")
    offset = number(action_arg(ctx))
    if not isinstance(query, str) or offset is None:
        return Reply.of(ctx._(EXPIRED))
    return await search(ctx, query, offset=offset)
