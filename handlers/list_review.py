"""Approving the changes to the candidate lists entered in chat (list_entry.py,
list_edit.py): /queue serves them after reports and candidates' items, in a private chat
or the moderators' room, with the notice photo they came with.

A change is applied once enough moderators other than its proposer approve it: as many
as a report summary needs (``CANDIBOT_PUBLISH_APPROVALS``), the proposer counting as
one when they moderate, and never fewer than one. Every press checks the presser's role
and the change's state; the proposer's own approval is refused and audited, like any
forged payload. An applied change is audited with what it changed, shows on the
candidate's profile with its source and the day it was checked, and is told to the
followers of the place (held on election day if it introduces a candidate, Art. 34)."""

from __future__ import annotations

from bot.core.i18n import N_, Gettext
from bot.core.markup import Text, bold, fmt, join, plain
from bot.core.replies import Button, Reply
from handlers import auditing
from handlers.base import Ctx, action_arg, new_router
from handlers.import_news import NEW_CANDIDATE, NEW_STAGE
from handlers.labels import STAGES, label, long_date
from handlers.list_views import FIELDS, change_lines, flag_lines
from handlers.policy import policy
from handlers.sources import NOTICE_PHOTO, describe, is_link
from handlers.staff import moderator, parse_identity
from handlers.triggers import News, moment, tell
from storage.list_changes import (
    Applied,
    Stale,
    apply,
    approve,
    close,
    next_pending,
    parsed,
    pending,
)
from storage.models import ListChange, Moderation
from storage.notices import forget_if_unused, notice_photo, photo_sha
from storage.roles import roles_of
from storage.subscriptions import candidacy_place

router = new_router()

HEADING = N_("Change {number} to the candidate lists")
NOT_PENDING = N_("That change is no longer waiting for approval. Nothing was changed.")
OWN = N_(
    "You proposed this change: a moderator other than you must approve it. Nothing was changed."
)
STALE = {
    "gone": N_("The election, district or candidacy it concerns no longer exists."),
    "changed": N_("The lists changed since it was proposed."),
    "duplicate": N_("Someone of that name is already listed in that electoral district."),
}
BY_PHOTO = N_("a photo of the election committee's notice, checked by moderators")
BY_LINK = N_("{link}, checked by moderators")
CORRECTED = N_("{name} ({district}): {what} corrected")


async def needed(ctx: Ctx, row: ListChange) -> int:
    """Approvals the change needs from moderators other than its proposer."""
    who = parse_identity(row.proposer)
    moderates = who is not None and (await roles_of(ctx.unit.session, *who)).is_moderator
    return max(1, policy(ctx).publish_approvals - (1 if moderates else 0))


async def show_change(ctx: Ctx, row: ListChange) -> Reply:
    change = parsed(row)
    lines: list[Text] = [bold(fmt(ctx._(HEADING), number=str(row.id))),
                         *await change_lines(ctx, change)]  # fmt: skip
    sha = photo_sha(row.source)
    photo = await notice_photo(ctx.unit.session, sha) if sha else None
    lines.append(fmt(ctx._("Source: {source} · checked {date}"),
                     source=describe(ctx._, row.source, kept=photo is not None),
                     date=long_date(row.checked_on, ctx.language)))  # fmt: skip
    lines.append(fmt(ctx._("Approvals: {count} of {needed}"), count=str(len(row.approvals)),
                     needed=str(await needed(ctx, row))))  # fmt: skip
    lines += await flag_lines(ctx, change)
    buttons = [
        [Button(ctx._("Approve"), f"lc:ok:{row.id}"), Button(ctx._("Reject"), f"lc:no:{row.id}")],
        [Button(ctx._("Skip"), f"lc:skip:{row.id}")],
    ]
    return Reply.of(join(lines), buttons, image=photo.data if photo else None,
                    image_alt=ctx._(NOTICE_PHOTO) if photo else None)  # fmt: skip


async def next_change(ctx: Ctx, actor: str, skip: int | None = None) -> Reply | None:
    """The next change ``actor`` may approve, shown; None when there is none."""
    row = await next_pending(ctx.unit.session, actor, skip)
    return await show_change(ctx, row) if row is not None else None


@router.action("lc")
async def change_button(ctx: Ctx) -> Reply:
    actor = await moderator(ctx, "lc")
    if isinstance(actor, Reply):
        return actor
    verb, _, raw_id = action_arg(ctx).partition(":")
    change_id = int(raw_id) if raw_id.isdigit() and len(raw_id) < 12 else -1
    if verb == "skip":
        shown = await next_change(ctx, actor, skip=change_id)
        return shown or Reply.of(ctx._("No other change waits for you. Send /queue later."))
    row = await pending(ctx.unit.session, change_id)
    if row is None or verb not in ("ok", "no"):
        await auditing.record(ctx, actor, "refused", "list_change", raw_id, button=verb)
        return Reply.of(ctx._(NOT_PENDING))
    if actor == row.proposer:
        await auditing.record(ctx, actor, "refused", "list_change", row.id, reason="own change")
        return Reply.of(ctx._(OWN))
    now = policy(ctx).clock()
    if verb == "no":
        close(row, Moderation.rejected, now)
        await forget_if_unused(ctx.unit.session, row.source)
        await auditing.record(ctx, actor, "reject", "list_change", row.id)
        return Reply.of(ctx._("Rejected. Nothing was changed. Send /queue for the next item."))
    count, wanted = approve(row, actor), await needed(ctx, row)
    await auditing.record(ctx, actor, "approve", "list_change", row.id, approvals=count,
                          needed=wanted)  # fmt: skip
    if count < wanted:
        return Reply.of(
            fmt(
                ctx._("Approved ({count} of {needed}). Another moderator must approve it too."),
                count=str(count),
                needed=str(wanted),
            )
        )
    return await _apply(ctx, actor, row)  # fmt: skip


async def _apply(ctx: Ctx, actor: str, row: ListChange) -> Reply:
    session = ctx.unit.session
    try:
        async with session.begin_nested():  # a change that no longer fits leaves nothing
            applied = await apply(session, row, policy(ctx).clock())
    except Stale as stale:
        close(row, Moderation.rejected, policy(ctx).clock())
        await forget_if_unused(session, row.source)
        await auditing.record(ctx, actor, "reject", "list_change", row.id, reason=stale.reason)
        return Reply.of(
            join(
                [
                    plain(ctx._(STALE[stale.reason])),
                    plain(ctx._("The change was closed; nothing was changed.")),
                ]
            )
        )
    await auditing.record(
        ctx, actor, "apply_change", "candidacy", applied.candidacy_id, change=row.id,
        proposer=row.proposer, approvals=row.approvals, source=row.source,
        checked_on=row.checked_on.isoformat(), field=applied.field or "added",
        before=applied.before if applied.field else None, after=applied.after
        if applied.field else row.change, new_election=applied.new_election,
        new_district=applied.new_district,
    )  # fmt: skip
    await _tell(ctx, applied, row.source)
    return Reply.of(
        fmt(ctx._("Approved and applied: candidate {number} now shows it, with its source and "
                  "the day it was checked; followers of the place are told."),
            number=str(applied.candidacy_id))
    )  # fmt: skip


async def _tell(ctx: Ctx, applied: Applied, source: str) -> int:
    where = await candidacy_place(ctx.unit.session, applied.candidacy_id)
    if where is None:
        return 0

    def line(_: Gettext, language: str) -> Text:
        stage = label(STAGES, applied.stage, _)
        if applied.before_stage is None:
            return fmt(_(NEW_CANDIDATE), district=applied.district, name=applied.name,
                       stage=stage)  # fmt: skip
        if applied.field == "stage":
            return fmt(_(NEW_STAGE), name=applied.name, district=applied.district, stage=stage,
                       before=label(STAGES, applied.before_stage, _))  # fmt: skip
        return fmt(_(CORRECTED), name=applied.name, district=applied.district,
                   what=label(FIELDS, applied.field or "", _))  # fmt: skip

    def said_by(_: Gettext, language: str) -> Text:
        if is_link(source):
            return fmt(_(BY_LINK), link=source)
        return plain(_(BY_PHOTO))

    news = News(where.places, where.area_name, line, said_by,
                f"/candidate {applied.candidacy_id}", quiet_on=where.election_day)  # fmt: skip
    return await tell(ctx.unit.session, ctx.catalogs, [news], moment(ctx))
