"""/stats: moderators see counts of reports by kind, place and week, and a chart."""

from __future__ import annotations

from bot.core.i18n import N_
from bot.core.markup import Text, bold, fmt, join, plain
from bot.core.replies import Reply
from handlers import auditing
from handlers.base import Ctx, new_router
from handlers.charts import cjk_font, weekly_bars
from handlers.labels import SEPARATOR, label, short_date
from handlers.policy import policy
from handlers.reports import CATEGORIES
from handlers.staff import moderator
from storage.stats import report_stats

router = new_router()


NONE = N_("none")


@router.command("stats")
async def stats_command(ctx: Ctx) -> Reply:
    actor = await moderator(ctx, "stats")
    if isinstance(actor, Reply):
        return actor
    stats = await report_stats(ctx.unit.session, policy(ctx).today())
    await auditing.record(ctx, actor, "view_stats")
    lines: list[Text] = [bold(fmt(ctx._("Reports: {count}"), count=str(stats.total)))]
    separator, none = ctx._(SEPARATOR), ctx._(NONE)
    kinds = separator.join(f"{label(CATEGORIES, c, ctx._)} {n}" for c, n in stats.by_category)
    places = separator.join(f"{name} {n}" for name, n in stats.by_area)
    lines.append(fmt(ctx._("By kind: {counts}"), counts=kinds or none))
    lines.append(fmt(ctx._("By place: {counts}"), counts=places or none))
    weeks = [week for week, _ in stats.by_week]
    per_week = separator.join(
        f"{short_date(week, ctx.language)} {sum(c.values())}" for week, c in stats.by_week
    )
    lines.append(fmt(ctx._("By week (Monday): {counts}"), counts=per_week or none))
    # Chart labels in Chinese need a Chinese font; without one, they are drawn in English.
    chart_ = ctx.gettext if ctx.language == "en" or cjk_font() else ctx.catalogs.gettext("en")
    series = {
        label(CATEGORIES, category, chart_): [
            counts.get(category, 0) for _, counts in stats.by_week
        ]
        for category, _ in stats.by_category
    }
    chart = weekly_bars(weeks, series, chart_(N_("Reports per week")), chart_(N_("Kind")))
    lines.append(plain(ctx._("The chart shows the last twelve weeks.")))
    alt = ctx._("Chart: reports per week over the last twelve weeks, by kind")
    return Reply.of(join(lines), image=chart, image_alt=alt)
