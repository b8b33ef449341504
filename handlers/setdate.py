"""/setdate: moderators record an election day, its status, or an announced milestone,
with its source. Every change is audited with what it was before."""

from __future__ import annotations

from datetime import date

from bot.core.i18n import N_
from bot.core.markup import fmt
from bot.core.replies import Reply
from handlers import auditing
from handlers.areas import pick_elections
from handlers.base import Ctx, command_args, new_router
from handlers.labels import ELECTION_STATUSES, label, long_date
from handlers.policy import policy
from handlers.staff import moderator
from handlers.triggers import dates_changed
from storage.areas import search_areas
from storage.elections import elections_in_area
from storage.models import Election, ElectionStatus

router = new_router()

USAGE = N_(
    "Use /setdate <place> <YYYY-MM-DD or unknown> [status] [source], or "
    "/setdate <place> roll|nominees|official <YYYY-MM-DD> [source]. "
    "Statuses: expected, announced, confirmed, postponed, held."
)
MILESTONES = {
    "roll": "roll_published_on",
    "nominees": "nominees_published_on",
    "official": "official_list_published_on",
}


def _day(text: str) -> date | str | None:
    """A date, None for "unknown", or the text back when it is neither."""
    if text.lower() in ("unknown", "未知", "待定"):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return text


@router.command("setdate")
async def setdate_command(ctx: Ctx) -> Reply:
    actor = await moderator(ctx, "setdate")
    if isinstance(actor, Reply):
        return actor
    words = command_args(ctx).split()
    if len(words) < 2:
        return Reply.of(ctx._(USAGE))
    places = await search_areas(ctx.unit.session, words[0], limit=2)
    if len(places) != 1:
        return Reply.of(fmt(ctx._("Name one place exactly; “{query}” is not."), query=words[0]))
    place = places[0]
    own = [e for e in await elections_in_area(ctx.unit.session, place.code, place.level)
           if e.area_code == place.code]  # fmt: skip
    upcoming, recent = pick_elections(own, policy(ctx).today())
    chosen = upcoming or recent
    if chosen is None:
        return Reply.of(fmt(ctx._("No election is recorded for {area}."), area=place.name))
    election = await ctx.unit.session.get_one(Election, chosen.id)
    milestone = MILESTONES.get(words[1].lower())
    rest = words[2:] if milestone else words[1:]
    day = _day(rest[0]) if rest else "missing"
    if isinstance(day, str) or (milestone and day is None):
        return Reply.of(ctx._(USAGE))
    rest = rest[1:]
    before = {
        "election_day": str(election.election_day), "status": election.status,
        "source": election.source,
    }  # fmt: skip
    if milestone:
        before[milestone] = str(getattr(election, milestone))
        setattr(election, milestone, day)
    else:
        election.election_day = day
        if rest and rest[0].lower() in ElectionStatus.__members__:
            election.status = rest[0].lower()
            rest = rest[1:]
        elif day is None:
            election.status = ElectionStatus.expected
    if rest:
        election.source = " ".join(rest)
    election.updated_at = policy(ctx).clock()
    after = {"election_day": str(election.election_day), "status": election.status,
             "source": election.source}  # fmt: skip
    if milestone:
        after[milestone] = str(day)
    await auditing.record(ctx, actor, "set_date", "election", election.id,
                          before=before, after=after)  # fmt: skip
    await dates_changed(ctx, election.id, (milestone,) if milestone else ("election_day", "status"))
    shown = long_date(day, ctx.language) if day else ctx._("not announced yet")
    return Reply.of(
        fmt(
            ctx._("Recorded for {area}: {what} {date} ({status}); source: {source}."),
            area=place.name,
            what=ctx._("milestone") if milestone else ctx._("election day"),
            date=shown,
            status=label(ELECTION_STATUSES, election.status, ctx._),
            source=election.source or ctx._("not given"),
        )
    )
