"""/cancel and the answers for what no feature claims: unknown commands, expired buttons."""

from __future__ import annotations

import difflib

from bot.core.events import ButtonAction, Command, PhotoMessage
from bot.core.markup import fmt, join, plain
from bot.core.replies import Reply
from handlers.base import EXPIRED, Ctx, new_router
from handlers.reports import DRAFT_LOST, PREFIXES
from handlers.start import DESCRIPTIONS, commands_for
from storage.roles import roles_of

router = new_router()


@router.command("cancel", description=DESCRIPTIONS["cancel"], ends_flows=True)
async def cancel(ctx: Ctx) -> Reply:
    if ctx.previous.step is None:
        return Reply.of(ctx._("There is nothing to cancel."))
    return Reply.of(ctx._("Cancelled. Nothing was kept."))


@router.unknown_command
async def unknown_command(ctx: Ctx) -> Reply:
    name = ctx.event.name if isinstance(ctx.event, Command) else ""
    sender = ctx.event.sender
    roles = await roles_of(ctx.unit.session, sender.platform, sender.id)
    known = [command for command, _ in commands_for(roles)]
    lines = [fmt(ctx._("I do not know the command /{name}."), name=name)]
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        lines.append(fmt(ctx._("Did you mean /{name}?"), name=close[0]))
    lines.append(plain(ctx._("Type /help to see what I can do.")))
    return Reply.of(join(lines))


@router.stale_action
async def stale_action(ctx: Ctx) -> Reply:
    event = ctx.event
    draft_button = isinstance(event, ButtonAction) and event.payload.partition(":")[0] in PREFIXES
    if draft_button and not ctx.previous.private:
        # A report's button with no draft behind it: say what may have happened.
        return Reply.of(ctx._(DRAFT_LOST))
    return Reply.of(ctx._(EXPIRED))


@router.unsupported
async def unsupported(ctx: Ctx) -> Reply:
    if isinstance(ctx.event, PhotoMessage):
        return Reply.of(ctx._("I only take photos as part of a report: send /report to start one."))
    return Reply.of(
        ctx._(
            "I cannot handle files, voice messages or stickers. Send text, or use the buttons. "
            "Files can carry hidden details about you, such as where and when they were made."
        )
    )
