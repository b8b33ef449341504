"""/editcandidate: a volunteer or moderator corrects one field of a candidacy (its name,
stage, nomination, or its district's seats) from the notice, then gives the source
(list_source.py). The value steps are /addcandidate's own (list_entry.py)."""

from __future__ import annotations

from bot.core.markup import Text, fmt, join, plain
from bot.core.replies import Button, Reply
from handlers.base import (
    EXPIRED,
    Ctx,
    action_arg,
    message_text,
    new_router,
    pressing,
)
from handlers.candidates import profile_line, source_line
from handlers.labels import label
from handlers.list_entry import (
    NAME,
    NOMINATION,
    SEATS,
    STAGE,
    again,
    ask_name,
    ask_nomination,
    ask_seats,
    ask_stage,
    begin,
    cancel_row,
    gate,
    normal,
    typed_label,
)
from handlers.list_views import FIELDS, nomination_text
from storage.candidates import candidacy_profile, search_candidacies

router = new_router()

PICK, FIELD = "lists.pick", "lists.field"
#: Each field's next question, at its step.
ASK = {"name": (NAME, ask_name), "stage": (STAGE, ask_stage),
       "nomination": (NOMINATION, ask_nomination), "seats": (SEATS, ask_seats)}  # fmt: skip


@router.command("editcandidate", ends_flows=True)
async def edit_command(ctx: Ctx) -> Reply:
    return await begin(ctx, "editcandidate", PICK, "edit", pick_typed, ask_pick)


def ask_pick(ctx: Ctx) -> Reply:
    return Reply.of(
        ctx._("Which candidate? Send their number (as in /candidate 12) or their name."),
        [cancel_row(ctx)],
    )


async def pick_typed(ctx: Ctx, text: str) -> Reply:
    text = text.strip()
    if text.isdigit():
        return await show_fields(ctx, int(text))
    page = await search_candidacies(ctx.unit.session, text, limit=8)
    if not page.items or page.fuzzy:
        note = fmt(ctx._("I found no candidate called “{query}”."), query=text)
        return Reply.of(join([note, ask_pick(ctx).text]), [cancel_row(ctx)])
    if len(page.items) == 1:
        return await show_fields(ctx, page.items[0].id)
    rows = [[Button(profile_line(ctx, item).plain, f"lsk:{item.id}")] for item in page.items]
    return Reply.of(ctx._("Which one?"), [*rows, cancel_row(ctx)])


@router.step(PICK)
async def pick_answer(ctx: Ctx) -> Reply:
    actor = await gate(ctx, "lists.pick")
    return actor if isinstance(actor, Reply) else await pick_typed(ctx, message_text(ctx))


@router.action("lsk", step=PICK)
async def pick_button(ctx: Ctx) -> Reply:
    actor = await gate(ctx, "lists.pick")
    if isinstance(actor, Reply):
        return actor
    arg = action_arg(ctx)
    return await show_fields(ctx, int(arg)) if arg.isdigit() else Reply.of(ctx._(EXPIRED))


async def show_fields(ctx: Ctx, candidacy_id: int) -> Reply:
    profile = await candidacy_profile(ctx.unit.session, candidacy_id, ctx.language)
    if profile is None:
        note = fmt(ctx._("There is no candidate number {number}."), number=str(candidacy_id))
        return Reply.of(join([note, ask_pick(ctx).text]), [cancel_row(ctx)])
    item = profile.summary
    lines: list[Text] = [
        profile_line(ctx, item),
        fmt(ctx._("Electoral district: {district} ({seats} seats)"),
            district=item.district_name, seats=str(item.seats)),
        fmt(ctx._("Nomination: {nomination}"),
            nomination=nomination_text(ctx, item.nomination, item.nominator_count)),
        source_line(ctx, profile),
        plain(ctx._("What is to be corrected?")),
    ]  # fmt: skip
    ctx.state = ctx.state.at(FIELD, candidacy=candidacy_id)
    rows = [[Button(label(FIELDS, field, ctx._), f"lsf:{field}")] for field in FIELDS]
    return Reply.of(join(lines), [*rows, cancel_row(ctx)])


async def field_button(ctx: Ctx) -> Reply:
    actor = await gate(ctx, "lists.field")
    if isinstance(actor, Reply):
        return actor
    field = action_arg(ctx)
    if field not in ASK:
        return Reply.of(ctx._(EXPIRED))
    step, ask = ASK[field]
    ctx.state = ctx.state.at(step, field=field)
    return ask(ctx)


router.action("lsf", step=FIELD)(field_button)


@router.step(FIELD)
async def field_typed(ctx: Ctx) -> Reply:
    actor = await gate(ctx, "lists.field")
    if isinstance(actor, Reply):
        return actor
    candidacy = ctx.state.data.get("candidacy")
    if not isinstance(candidacy, int):
        ctx.state = ctx.state.fresh()
        return Reply.of(ctx._(EXPIRED))
    question = await show_fields(ctx, candidacy)
    pressed = await typed_label(ctx, question, field_button)
    if pressed is not None:
        return pressed
    wanted = normal(message_text(ctx))
    for field in FIELDS:  # "name", "姓名", "stage"...
        if field in wanted or normal(ctx._(FIELDS[field])) in wanted:
            return await field_button(pressing(ctx, f"lsf:{field}"))
    return again(ctx, question)
