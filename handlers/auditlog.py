"""/audit: administrators read the latest entries of the hash-chained audit log."""

from __future__ import annotations

from bot.core.markup import Text, bold, fmt, join, plain
from bot.core.replies import Reply
from handlers.base import Ctx, new_router
from handlers.staff import ADMINS_ONLY, admin
from storage import audit

router = new_router()


@router.command("audit")
async def audit_command(ctx: Ctx) -> Reply:
    actor = await admin(ctx, "audit")
    if actor is None:
        return Reply.of(ctx._(ADMINS_ONLY))
    verdict = await audit.verify(ctx.unit.session)
    lines: list[Text] = [bold(ctx._("Latest audit entries:"))]
    for entry in await audit.recent(ctx.unit.session, 15):
        target = f"{entry.target_type} {entry.target_id}".strip()
        lines.append(
            plain(f"{entry.id}. {entry.at:%Y-%m-%d %H:%M} {entry.actor} {entry.action} {target}")
        )
    if verdict.intact:
        lines.append(
            fmt(ctx._("The chain of {count} entries is intact."), count=str(verdict.entries))
        )
    else:
        lines.append(
            fmt(ctx._("The chain is broken at entry {number}!"), number=str(verdict.first_broken))
        )
    return Reply.of(join(lines))
