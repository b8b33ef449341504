"""A candidate list being entered (/addcandidate, /editcandidate) survives other
commands, as a report's draft does: a volunteer may look a candidate up halfway, and is
told the draft is kept, with a button to go on where they were."""

from __future__ import annotations

from bot.core.i18n import N_
from bot.core.replies import Button, Reply
from handlers.base import EXPIRED, Ctx, new_router
from handlers.list_edit import FIELD, PICK, ask_pick, show_fields
from handlers.list_entry import (
    DISTRICT,
    ELECTION,
    NAME,
    NOMINATION,
    NOMINATORS,
    NUMBER,
    PLACE,
    SEATS,
    STAGE,
    ask_district,
    ask_election,
    ask_name,
    ask_nomination,
    ask_nominators,
    ask_number,
    ask_place,
    ask_seats,
    ask_stage,
    gate,
)
from handlers.list_source import CANCEL, SOURCE, ask_source, draft_change
from storage.areas import get_area

router = new_router()
router.keep_flow("lists.")

KEPT = N_("You are entering a candidate list; what you entered so far is kept.")
#: The questions asked again as they were first asked, by step.
QUESTIONS = {
    PLACE: ask_place, NUMBER: ask_number, SEATS: ask_seats, NAME: ask_name,
    NOMINATION: ask_nomination, NOMINATORS: ask_nominators, STAGE: ask_stage, PICK: ask_pick,
}  # fmt: skip


@router.paused
async def list_kept(ctx: Ctx) -> Reply | None:
    if not (ctx.state.step or "").startswith("lists."):
        return None
    return Reply.of(
        ctx._(KEPT), [[Button(ctx._("Go on"), "lsr:go")], [Button(ctx._("Cancel"), CANCEL)]]
    )


@router.action("lsr")
async def go_on(ctx: Ctx) -> Reply:
    actor = await gate(ctx, "lists.resume")
    return actor if isinstance(actor, Reply) else await ask_again(ctx)


async def ask_again(ctx: Ctx) -> Reply:
    """The question of the step the draft is at."""
    step, data = ctx.state.step, ctx.state.data
    if step in QUESTIONS:
        return QUESTIONS[step](ctx)
    if step == ELECTION:
        area = await get_area(ctx.unit.session, str(data.get("place")))
        if area is not None:
            return await ask_election(ctx, area)
    if step == DISTRICT:
        return await ask_district(ctx)
    if step == FIELD and isinstance(data.get("candidacy"), int):
        return await show_fields(ctx, data["candidacy"])
    change = draft_change(dict(data)) if step == SOURCE else None
    if change is not None:
        return await ask_source(ctx, change)
    ctx.state = ctx.state.fresh()
    return Reply.of(ctx._(EXPIRED))
