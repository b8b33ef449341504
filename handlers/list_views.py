"""A change to the candidate lists in words: what the proposer checks before sending its
source, and what the approving moderator sees; with the flags of Arts. 31 and 32 for
the district as it would be."""

from __future__ import annotations

from typing import Any

from bot.core.i18n import N_
from bot.core.markup import Text, bold, fmt, plain
from handlers.areas import election_summary
from handlers.base import Ctx
from handlers.labels import NOMINATIONS, STAGES, label
from handlers.list_checks import contest_flags
from storage.areas import get_area
from storage.elections import election
from storage.list_changes import Contest, Correction, NewCandidacy, contest
from storage.models import Candidacy, ElectoralDistrict, Nomination, Person
from storage.search_keys import display_pinyin

FIELDS: dict[str, str] = {
    "name": N_("Name"),
    "stage": N_("Stage"),
    "nomination": N_("Nomination"),
    "seats": N_("Seats of the electoral district"),
}


def nomination_text(ctx: Ctx, nomination: str, nominators: int | None) -> Text:
    shown = plain(label(NOMINATIONS, nomination, ctx._))
    if nomination == Nomination.voters_joint:
        if nominators is None:
            return shown + ctx._(", number of voters not given")
        return shown + fmt(ctx._(", by {count} voters"), count=str(nominators))
    return shown


async def _where(ctx: Ctx, change: NewCandidacy) -> list[Text]:
    session = ctx.unit.session
    place = await get_area(session, change.place)
    place_name = place.name if place else change.place
    vote = await election(session, change.election_id) if change.election_id else None
    lines = [
        fmt(ctx._("Election: {election}"), election=election_summary(ctx, vote))
        if vote
        else fmt(ctx._("Election: a new one for {area}, day not announced"), area=place_name)
    ]
    district = (
        await session.get(ElectoralDistrict, change.district_id) if change.district_id else None
    )
    if district is not None:
        lines.append(fmt(ctx._("Electoral district: {district} ({seats} seats)"),
                         district=district.name, seats=str(district.seats)))  # fmt: skip
    else:
        lines.append(fmt(ctx._("Electoral district: a new one, number {number}, {seats} "
                               "seats, covering {area}"), number=str(change.district_number or "?"),
                         seats=str(change.seats or "?"), area=place_name))  # fmt: skip
    return lines


async def change_lines(ctx: Ctx, change: NewCandidacy | Correction) -> list[Text]:
    """What the change does, a line each."""
    if isinstance(change, NewCandidacy):
        name = fmt(ctx._("Add a candidate: {name} ({pinyin})"), name=change.name,
                   pinyin=display_pinyin(change.name))  # fmt: skip
        nomination = nomination_text(ctx, change.nomination, change.nominators)
        return [
            bold(name),
            *await _where(ctx, change),
            fmt(ctx._("Nomination: {nomination}"), nomination=nomination),
            fmt(ctx._("Stage: {stage}"), stage=label(STAGES, change.stage, ctx._)),
        ]
    session = ctx.unit.session
    candidacy = await session.get(Candidacy, change.candidacy_id)
    if candidacy is None:
        return [plain(ctx._("That candidacy no longer exists."))]
    person = await session.get_one(Person, candidacy.person_id)
    district = await session.get_one(ElectoralDistrict, candidacy.district_id)
    return [
        bold(fmt(ctx._("Correct candidate {number}: {name}, {district}"),
                 number=str(candidacy.id), name=person.name, district=district.name)),
        fmt(ctx._("{field}: {before} → {after}"), field=label(FIELDS, change.field, ctx._),
            before=value_text(ctx, change.field, change.before),
            after=value_text(ctx, change.field, change.after)),
    ]  # fmt: skip


def value_text(ctx: Ctx, field: str, value: Any) -> Text:
    if field == "stage":
        return plain(label(STAGES, str(value), ctx._))
    if field == "nomination" and isinstance(value, list) and len(value) == 2:
        return nomination_text(ctx, str(value[0]), value[1])
    return plain(str(value))


async def contest_after(ctx: Ctx, change: NewCandidacy | Correction) -> Contest | None:
    """The district's counts as the change would leave them; None if it moves none."""
    session = ctx.unit.session
    if isinstance(change, NewCandidacy):
        now = await contest(session, change.district_id, change.seats or 1)
        return now.moved(None, change.stage)
    candidacy = await session.get(Candidacy, change.candidacy_id)
    if candidacy is None or change.field not in ("stage", "seats"):
        return None
    now = await contest(session, candidacy.district_id)
    if change.field == "stage":
        return now.moved(str(change.before), str(change.after))
    return Contest(int(change.after), now.listed, now.standing)


async def flag_lines(ctx: Ctx, change: NewCandidacy | Correction) -> list[Text]:
    counts = await contest_after(ctx, change)
    return [problem.render(ctx) for problem in contest_flags(counts)] if counts else []
