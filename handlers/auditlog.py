"""/audit: administrators read the latest entries of the keyed audit log, and whether the
chain holds up to the last signed checkpoint."""

from __future__ import annotations

from bot.core.markup import Text, bold, fmt, join, plain
from bot.core.replies import Reply
from handlers.base import Ctx, new_router
from handlers.policy import policy
from handlers.staff import admin
from storage import audit
from storage.audit_checkpoint import CheckpointError, read_checkpoint

router = new_router()


@router.command("audit")
async def audit_command(ctx: Ctx) -> Reply:
    actor = await admin(ctx, "audit")
    if isinstance(actor, Reply):
        return actor
    rules = policy(ctx)
    lines: list[Text] = [bold(ctx._("Latest audit entries:"))]
    for entry in await audit.recent(ctx.unit.session, 15):
        target = f"{entry.target_type} {entry.target_id}".strip()
        lines.append(
            plain(f"{entry.id}. {entry.at:%Y-%m-%d %H:%M} {entry.actor} {entry.action} {target}")
        )
    try:
        mark = read_checkpoint(rules.audit_checkpoint, rules.audit_key) if (
            rules.audit_checkpoint) else None  # fmt: skip
    except CheckpointError:
        lines.append(plain(ctx._("The checkpoint file does not verify!")))
        return Reply.of(join(lines))
    verdict = await audit.verify(ctx.unit.session, rules.audit_key, mark)
    lines.append(_verdict(ctx, verdict))
    return Reply.of(join(lines))


def _verdict(ctx: Ctx, verdict: audit.Verdict) -> Text:
    if verdict.intact:
        return fmt(ctx._("The chain of {count} entries is intact."), count=str(verdict.entries))
    if verdict.problem == audit.Problem.deleted:
        return plain(
            ctx._("The newest entries were deleted: the chain ends before its checkpoint!")
        )
    if verdict.problem == audit.Problem.unsealed:
        return plain(ctx._("The chain holds only unkeyed entries: it could have been recomputed."))
    return fmt(ctx._("The chain is broken at entry {number}!"), number=str(verdict.first_broken))
