"""/incidents [place]: what moderators published about reports, and how many, by kind
and month. Only approved anonymised summaries, a county at the finest, the week."""

from __future__ import annotations

from bot.core.markup import Text, bold, fmt, join, plain
from bot.core.replies import Reply
from handlers.areas import paging, remembered_area
from handlers.base import Ctx, action_arg, command_args, new_router, number
from handlers.labels import SEPARATOR, label, long_date, month_label, text_language, untranslated
from handlers.reports import CATEGORIES
from handlers.start import DESCRIPTIONS
from storage.areas import get_area, search_areas
from storage.elections import area_prefix
from storage.incidents import counts, latest

router = new_router()

PER_PAGE = 5


async def incidents_reply(ctx: Ctx, code: str | None, offset: int = 0) -> Reply:
    area = await get_area(ctx.unit.session, code) if code else None
    prefix = area_prefix(area.code, area.level) if area else None
    items, more = await latest(ctx.unit.session, prefix, limit=PER_PAGE, offset=offset)
    where = area.name if area else ctx._("all places")
    if not items and offset == 0:
        return Reply.of(fmt(ctx._("No incident has been published for {area}."), area=where))
    lines: list[Text] = [bold(fmt(ctx._("Published incidents: {area}"), area=where))]
    if offset == 0:
        tally = await counts(ctx.unit.session, prefix)
        separator = ctx._(SEPARATOR)
        kinds = separator.join(f"{label(CATEGORIES, c, ctx._)} {n}" for c, n in tally.by_category)
        months = separator.join(
            f"{month_label(month, ctx.language)} {n}" for month, n in tally.by_month[:6]
        )
        lines.append(fmt(ctx._("By kind: {counts}"), counts=kinds))
        lines.append(fmt(ctx._("By month: {counts}"), counts=months))
    for item in items:
        lines.append(
            fmt(
                ctx._("• Week of {date}, {area}, {category}: {summary}"),
                date=long_date(item.week, ctx.language),
                area=item.area_name or ctx._("place not given"),
                category=label(CATEGORIES, item.category, ctx._),
                summary=untranslated(ctx, item.summary, text_language(item.summary)),
            )
        )
    lines.append(
        plain(ctx._("Summaries are written and checked by moderators; names are removed."))
    )
    total = offset + len(items) + (1 if more else 0)
    return Reply.of(
        join(lines), [paging(ctx, f"inc:{area.code if area else ''}", offset, PER_PAGE, total)]
    )


@router.command("incidents", description=DESCRIPTIONS["incidents"])
async def incidents_command(ctx: Ctx) -> Reply:
    query = command_args(ctx)
    if query:
        found = await search_areas(ctx.unit.session, query, limit=1)
        if not found:
            return Reply.of(fmt(ctx._("I found no place called “{query}”."), query=query))
        return await incidents_reply(ctx, found[0].code)
    return await incidents_reply(ctx, remembered_area(ctx))


@router.action("inc")
async def incidents_page(ctx: Ctx) -> Reply:
    code, _, offset = action_arg(ctx).partition(":")
    return await incidents_reply(ctx, code or None, number(offset) or 0)
