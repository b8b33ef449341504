"""/audit: administrators read the latest entries of the keyed audit log, and whether the
chain holds up to the last signed checkpoint."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from bot.core.markup import Text, bold, fmt, join, plain
from bot.core.replies import Reply
from handlers.base import Ctx, new_router
from handlers.labels import AUDIT_ACTIONS, AUDIT_ACTORS, AUDIT_TARGETS, label
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
    zone = ZoneInfo(rules.timezone)
    for entry in await audit.recent(ctx.unit.session, 15):
        kind = label(AUDIT_TARGETS, entry.target_type, ctx._) if entry.target_type else ""
        target = f"{kind} {entry.target_id}".strip()
        who = label(AUDIT_ACTORS, entry.actor, ctx._)
        what = label(AUDIT_ACTIONS, entry.action, ctx._)
        when = format_datetime(entry.at, "short", tzinfo=zone, locale=ctx.language)
        lines.append(plain(f"{entry.id}. {when} {who} {what} {target}".rstrip()))
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
