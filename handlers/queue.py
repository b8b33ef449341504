"""/queue: moderators review reports in the chat, one claimed item at a time.

Every button checks, on every press, that the presser moderates now, where they may,
and holds the item's claim: a forged or stale payload (another item's id, someone
else's claim, a non-moderator, a group) is refused and audited, and nothing changes.
A decrypted report reaches only a private chat; the moderators' room reviews
candidates' items. Reports over a flood cap wait behind the rest (/queue quarantine
opens them directly).

A moderator holds one item at a time, so that no claim is left behind to hide work:
opening an item gives back the last, Skip gives it back and moves on. Escalated reports
are the administrators' (who are told through the outbox), and an empty queue says
what others hold and what waits for the administrators.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from babel.dates import format_time

from bot.core.context import Replies
from bot.core.i18n import N_
from bot.core.markup import Text, bold, fmt, italic, join, plain
from bot.core.replies import Button, Reply
from handlers import auditing
from handlers.announce import ESCALATED, Told, to_administrators
from handlers.base import Ctx, action_arg, command_args, message_text, new_router, number
from handlers.labels import TOPICS, label, long_date
from handlers.list_review import next_change
from handlers.policy import policy
from handlers.reports import CATEGORIES, WHENS
from handlers.staff import PRIVATE_ONLY, Place, moderator, place, roles
from handlers.triggers import incident_published, update_published
from handlers.updates import KINDS
from handlers.verdicts import OTHER, REASONS, tell_candidate
from storage import updates
from storage.areas import get_area
from storage.candidates import candidacy_summary
from storage.crypto import KeyFileError
from storage.models import Moderation, PlatformPoint, PlatformPointRevision, Report, ReportStatus
from storage.moderation import (
    Held,
    approve,
    claimed,
    county_of,
    escalated_waiting,
    for_review,
    held_by_others,
    next_report,
    release,
    release_held,
)
from storage.reports import add_message
from storage.roles import administrators

router = new_router()

SUMMARY, QUESTION, NOTE = "queue.summary", "queue.question", "queue.note"

REJECT_REASONS: dict[str, str] = {
    "duplicate": N_("Duplicate of another report"),
    "not_incident": N_("Not an election incident"),
    "too_little": N_("Too little information"),
    "unsafe": N_("Publishing would endanger someone"),
    "other": N_("Other reason"),
}
NOT_YOURS = N_(
    "That item is not claimed by you (or no longer pending). Nothing was changed. "
    "Send /queue for your current item."
)
NO_KEY = N_("The bot cannot open reports: the moderators' private key is not loaded.")
NO_CONSENT = N_("The reporter does not allow publishing a summary.")
EMPTY = N_("The queue is empty. Thank you.")
QUARANTINE_EMPTY = N_("The quarantine is empty.")
SKIPPED = N_("Skipped: the item is free again for the other moderators.")
NOTHING_ELSE = N_("Nothing else waits for you now.")
NOTHING_ELSE_IN_QUARANTINE = N_("Nothing else waits in the quarantine for you now.")
HELD = N_(
    "Items other moderators hold now: {count}. Each is free again 15 minutes after its "
    "last use, all of them by {time} at the latest."
)
ESCALATED_WAITING = N_("Escalated reports waiting for the administrators: {count}.")
ESCALATION_TOLD: dict[Told, str] = {
    Told.room: N_(
        "Escalated: the administrators were told in the moderators' room, and it comes "
        "first in their /queue."
    ),
    Told.privately: N_(
        "Escalated: the administrators were told in their private chats with the bot, and "
        "it comes first in their /queue."
    ),
    Told.nobody: N_(
        "Escalated: it comes first in the administrators' /queue. None of them could be "
        "told now: there is no moderators' room, and no administrator has used a staff "
        "command in a private chat with the bot yet."
    ),
    Told.no_administrator: N_(
        "Escalated, but there is no administrator yet: it comes first in every moderator's /queue."
    ),
}
#: What follows /queue to open the quarantine.
QUARANTINE = ("quarantine", "隔离")


def _buttons(
    ctx: Ctx, report_id: int, *, may_publish: bool, can_publish: bool
) -> list[list[Button]]:
    rows = [
        [Button(ctx._("Ask the reporter a question"), f"q:ask:{report_id}")],
        [Button(ctx._("Reject"), f"q:rej:{report_id}"),
         Button(ctx._("Escalate"), f"q:esc:{report_id}"),
         Button(ctx._("Skip"), f"q:skip:{report_id}")],
    ]  # fmt: skip
    if may_publish:  # without the reporter's consent there is nothing to write
        rows.insert(0, [Button(ctx._("Write the public summary"), f"q:sum:{report_id}")])
    if can_publish:
        rows.insert(0, [Button(ctx._("Approve and publish the summary"), f"q:pub:{report_id}")])
    return rows


async def show(ctx: Ctx, report: Report) -> Reply:
    keys = policy(ctx).reports.keys
    if keys is None:
        return Reply.of(ctx._(NO_KEY))
    try:
        item = await for_review(ctx.unit.session, report, keys)
    except KeyFileError:
        return Reply.of(ctx._(NO_KEY))
    ctx.protect(item.description, *(text for _, text in item.messages))
    area = await get_area(ctx.unit.session, item.area_code) if item.area_code else None
    lines: list[Text] = [
        bold(fmt(ctx._("Report {number}"), number=str(item.id))),
        fmt(
            ctx._("{category} · {area} · happened: {when} · filed {date}"),
            category=label(CATEGORIES, item.category, ctx._),
            area=area.name if area else ctx._("place not given"),
            when=label(WHENS, item.happened, ctx._),
            date=long_date(item.created_on, ctx.language),
        ),
    ]
    if item.escalated:
        lines.append(plain("⚑ " + ctx._("Escalated")))
    if report.status == ReportStatus.quarantined or item.status == ReportStatus.quarantined:
        lines.append(plain(ctx._("Arrived over a flood cap: check it is not spam.")))
    lines.append(italic(item.description))
    if item.photos:
        lines.append(fmt(ctx._("Photos: {count}"), count=str(item.photos)))
    for author, text in item.messages:
        who = ctx._("Reporter") if author == "reporter" else ctx._("Moderators")
        lines.append(fmt(ctx._("{author}: {text}"), author=who, text=text))
    if not item.may_publish:
        lines.append(plain(ctx._(NO_CONSENT)))
    elif item.summary:
        lines.append(
            fmt(
                ctx._("Public summary ({approvals} of {needed} approvals): {summary}"),
                approvals=str(item.approvals),
                needed=str(policy(ctx).publish_approvals),
                summary=item.summary,
            )
        )
    can_publish = item.may_publish and bool(item.summary)
    return Reply.of(
        join(lines), _buttons(ctx, item.id, may_publish=item.may_publish, can_publish=can_publish)
    )


@router.command("queue")
async def queue_command(ctx: Ctx) -> Reply:
    quarantine = command_args(ctx).strip().lower() in QUARANTINE
    actor = await moderator(ctx, "queue", reports=quarantine)
    if isinstance(actor, Reply):
        return actor
    if quarantine:
        return await next_quarantined(ctx, actor)
    if place(ctx) is not Place.private:
        return await room_item(ctx, actor)
    return await next_item(ctx, actor)


async def _one_at_a_time(ctx: Ctx, actor: str) -> None:
    """Before a moderator opens an item, whatever they held goes back to the queue: a
    claim left behind would hide that item from everyone else for its 15 minutes."""
    await release_held(ctx.unit.session, actor)
    await updates.release_held(ctx.unit.session, actor)


async def _takes_escalated(ctx: Ctx) -> bool:
    """Escalated reports are the administrators'; every moderator's if there is none."""
    return (await roles(ctx)).is_admin or not await administrators(ctx.unit.session)


async def next_item(
    ctx: Ctx, actor: str, *, skip: int | None = None,
    skip_item: tuple[str, int] | None = None, skipped: bool = False,
) -> Reply:  # fmt: skip
    """Reports first (people at risk wait on them), then candidates' updates, then the
    quarantine, so that a flood waits behind everything but nothing waits for ever."""
    session, now = ctx.unit.session, policy(ctx).clock()
    await _one_at_a_time(ctx, actor)
    escalated = await _takes_escalated(ctx)
    report = await next_report(session, actor, now, skip, escalated=escalated)
    if report is not None:
        return await show(ctx, report)
    item = await updates.next_item(session, actor, now, skip_item)
    if item is not None:
        return await show_candidate_item(ctx, *item)
    change = await next_change(ctx, actor)
    if change is not None:
        return change
    report = await next_report(session, actor, now, skip, quarantine=True, escalated=escalated)
    if report is not None:
        return await show(ctx, report)
    held = await held_by_others(session, actor, now) + await updates.held_by_others(
        session, actor, now
    )
    first = [SKIPPED, NOTHING_ELSE] if skipped else [EMPTY]
    return await _empty(ctx, first, held, escalated)


async def next_quarantined(
    ctx: Ctx, actor: str, skip: int | None = None, *, skipped: bool = False
) -> Reply:
    session, now = ctx.unit.session, policy(ctx).clock()
    await _one_at_a_time(ctx, actor)
    escalated = await _takes_escalated(ctx)
    report = await next_report(session, actor, now, skip, quarantine=True, escalated=escalated)
    if report is not None:
        return await show(ctx, report)
    first = [SKIPPED, NOTHING_ELSE_IN_QUARANTINE] if skipped else [QUARANTINE_EMPTY]
    return await _empty(ctx, first, await held_by_others(session, actor, now), escalated)


async def room_item(
    ctx: Ctx, actor: str, skip_item: tuple[str, int] | None = None, *, skipped: bool = False
) -> Reply:
    """The moderators' room reviews candidates' items and changes to the candidate lists;
    reports only reach a private chat."""
    session, now = ctx.unit.session, policy(ctx).clock()
    await _one_at_a_time(ctx, actor)
    item = await updates.next_item(session, actor, now, skip_item)
    if item is not None:
        return await show_candidate_item(ctx, *item)
    change = await next_change(ctx, actor)
    if change is not None:
        return change
    first = [SKIPPED, PRIVATE_ONLY] if skipped else [PRIVATE_ONLY]
    return await _empty(ctx, first, await updates.held_by_others(session, actor, now), True)


async def _empty(ctx: Ctx, first: list[str], held: Held, escalated: bool) -> Reply:
    """Nothing for this moderator: and what waits that they cannot take, so that an
    empty queue never hides work held by others or escalated to the administrators."""
    lines: list[Text] = [plain(ctx._(message)) for message in first]
    if held.count and held.until is not None:
        zone = ZoneInfo(policy(ctx).timezone)
        time = format_time(held.until, "short", tzinfo=zone, locale=ctx.language)
        lines.append(fmt(ctx._(HELD), count=str(held.count), time=time))
    waiting = 0 if escalated else await escalated_waiting(ctx.unit.session)
    if waiting:
        lines.append(fmt(ctx._(ESCALATED_WAITING), count=str(waiting)))
    return Reply.of(join(lines))


async def show_candidate_item(ctx: Ctx, kind: str, item: updates.Item) -> Reply:
    session = ctx.unit.session
    candidacy = await updates.candidacy_of(session, item)
    summary = await candidacy_summary(session, candidacy.id)
    name = summary.name if summary else str(candidacy.id)
    lines: list[Text] = [
        bold(fmt(ctx._("From candidate {name} ({number})"), name=name, number=str(candidacy.id)))
    ]
    if item.status == Moderation.approved:
        lines.append(plain(ctx._("Already published (a trusted candidate): review it now.")))
    if isinstance(item, PlatformPointRevision):
        point = await session.get_one(PlatformPoint, item.point_id)
        lines.append(
            fmt(ctx._("Platform, {topic}: {text}"), topic=label(TOPICS, point.topic, ctx._),
                text=item.text)
        )  # fmt: skip
    else:
        what = label(KINDS, item.kind, ctx._)
        detail = item.text or item.url or ""
        if item.event_day:
            detail = f"{item.event_day.isoformat()}, {item.place or ''}: {detail}"
        lines.append(fmt(ctx._("{author}: {text}"), author=what, text=detail))
    buttons = [
        [Button(ctx._("Approve"), f"qc:ok:{kind}:{item.id}"),
         Button(ctx._("Reject"), f"qc:no:{kind}:{item.id}")],
        [Button(ctx._("Skip"), f"qc:skip:{kind}:{item.id}")],
    ]  # fmt: skip
    return Reply.of(join(lines), buttons)


@router.action("qc")
async def candidate_item_button(ctx: Ctx) -> Reply:
    actor = await moderator(ctx, "qc")
    if isinstance(actor, Reply):
        return actor
    verb, kind, raw_id, reason = [*action_arg(ctx).split(":"), "", "", "", ""][:4]
    now = policy(ctx).clock()
    item = await updates.claimed_item(ctx.unit.session, kind, number(raw_id) or -1, actor, now)
    if item is None or verb not in ("ok", "no", "why", "skip") or (
        verb == "why" and reason not in REASONS
    ):  # fmt: skip
        await auditing.record(ctx, actor, "refused", "candidate_item", raw_id)
        return Reply.of(ctx._(NOT_YOURS))
    if verb == "skip":
        item.claimed_by, item.claimed_until = None, None
        if place(ctx) is Place.private:
            return await next_item(ctx, actor, skip_item=(kind, item.id), skipped=True)
        return await room_item(ctx, actor, (kind, item.id), skipped=True)
    if verb == "no":
        rows = [[Button(ctx._(text), f"qc:why:{kind}:{item.id}:{key}")]
                for key, text in REASONS.items()]  # fmt: skip
        return Reply.of(ctx._("Why is it not published? The candidate is told the reason."), rows)
    if verb == "why" and reason == OTHER:
        ctx.state = ctx.state.at(NOTE, kind=kind, item=item.id)
        return Reply.of(ctx._("Write the reason for the candidate as one message."))
    return await _decide(ctx, actor, kind, item, reason=reason if verb == "why" else None)


@router.step(NOTE)
async def note_typed(ctx: Ctx) -> Reply:
    actor = await moderator(ctx, "qc")
    data, ctx.state = ctx.state.data, ctx.state.fresh()
    if isinstance(actor, Reply):
        return actor
    kind, item_id = str(data.get("kind")), data.get("item")
    item = await updates.claimed_item(
        ctx.unit.session, kind, item_id if isinstance(item_id, int) else -1, actor,
        policy(ctx).clock(),
    )  # fmt: skip
    if item is None:
        return Reply.of(ctx._(NOT_YOURS))
    return await _decide(ctx, actor, kind, item, reason=OTHER, note=message_text(ctx)[:1000])


async def _decide(
    ctx: Ctx, actor: str, kind: str, item: updates.Item, *, reason: str | None = None,
    note: str | None = None,
) -> Reply:  # fmt: skip
    """Publish the item (no ``reason``) or reject it for ``reason``, and tell the
    candidate either way."""
    approved = reason is None
    candidacy = await updates.candidacy_of(ctx.unit.session, item)
    before = item.status
    await updates.decide(ctx.unit.session, item, approved, policy(ctx).clock(), reason=reason,
                         note=note)  # fmt: skip
    detail = {} if approved else {"reason": reason}
    await auditing.record(ctx, actor, "approve" if approved else "reject",
                          "revision" if kind == updates.REVISION else "update", item.id,
                          candidacy=candidacy.id, before=before, after=item.status,
                          **detail)  # fmt: skip
    if approved and before != Moderation.approved:  # a trusted one went out already
        await _tell_followers(ctx, candidacy.id, item)
    told = await tell_candidate(ctx, candidacy.id, item, before)
    lines = [
        plain(
            ctx._("Published. Send /queue for the next item.")
            if approved
            else ctx._("Rejected. Send /queue for the next item.")
        )
    ]
    if told:
        lines.append(plain(ctx._("The candidate is told in their private chat with the bot.")))
    elif not (approved and before == Moderation.approved):
        lines.append(
            plain(ctx._("No private chat with the candidate is on record: /myprofile shows it."))
        )
    return Reply.of(join(lines))


async def _tell_followers(ctx: Ctx, candidacy_id: int, item: updates.Item) -> None:
    if isinstance(item, PlatformPointRevision):
        point = await ctx.unit.session.get_one(PlatformPoint, item.point_id)
        await update_published(ctx, candidacy_id, "platform", checked=True, topic=point.topic)
    else:
        await update_published(ctx, candidacy_id, item.kind, checked=True,
                               event_day=item.event_day)  # fmt: skip


async def _held(ctx: Ctx, what: str) -> tuple[str, Report] | Reply:
    """The moderator and the report they hold for this button; a refusal otherwise."""
    actor = await moderator(ctx, what, reports=True)
    if isinstance(actor, Reply):
        return actor
    _, _, raw_id = action_arg(ctx).partition(":")
    report_id = number(raw_id.partition(":")[0]) or -1
    report = await claimed(ctx.unit.session, report_id, actor, policy(ctx).clock())
    if report is None:
        await auditing.record(ctx, actor, "refused", "report", raw_id, button=what)
        return Reply.of(ctx._(NOT_YOURS))
    return actor, report


@router.action("q")
async def queue_button(ctx: Ctx) -> Replies:
    verb = action_arg(ctx).partition(":")[0]
    held = await _held(ctx, f"q:{verb}")
    if isinstance(held, Reply):
        return held
    actor, report = held
    today = policy(ctx).clock().date()
    if verb == "skip":
        release(report)
        if report.status == ReportStatus.quarantined and not report.escalated:
            return await next_quarantined(ctx, actor, skip=report.id, skipped=True)
        return await next_item(ctx, actor, skip=report.id, skipped=True)
    if verb == "esc":
        report.escalated = True
        release(report)
        await auditing.record(ctx, actor, "escalate", "report", report.id)
        told = await to_administrators(ctx, ESCALATED, actor=actor)
        return [Reply.of(ctx._(ESCALATION_TOLD[told])), await next_item(ctx, actor, skip=report.id)]
    if verb == "rej":
        rows = [[Button(ctx._(text), f"q:rr:{report.id}:{key}")] for key, text in
                REJECT_REASONS.items()]  # fmt: skip
        return Reply.of(ctx._("Why is it rejected?"), rows)
    if verb == "rr":
        reason = action_arg(ctx).rpartition(":")[2]
        if reason not in REJECT_REASONS:
            return Reply.of(ctx._(NOT_YOURS))
        before = report.status
        report.status, report.reject_reason, report.closed_on = ReportStatus.rejected, reason, today
        release(report)
        await auditing.record(ctx, actor, "reject", "report", report.id,
                              before=before, after=report.status, reason=reason)  # fmt: skip
        return Reply.of(ctx._("Rejected. Send /queue for the next item."))
    if verb == "sum":
        if not report.may_publish:  # no such button was offered: a forged or old payload
            await auditing.record(ctx, actor, "refused", "report", report.id, button="q:sum")
            return Reply.of(ctx._(NO_CONSENT))
        ctx.state = ctx.state.at(SUMMARY, report=report.id)
        return Reply.of(
            ctx._(
                "Send the public summary as one message: no names, no details that could "
                "identify the reporter or a witness. It will say the county and the week only."
            )
        )
    if verb == "ask":
        ctx.state = ctx.state.at(QUESTION, report=report.id)
        return Reply.of(ctx._("Send your question for the reporter as one message."))
    if verb == "pub":
        return await _approve(ctx, actor, report)
    return Reply.of(ctx._(NOT_YOURS))


async def _approve(ctx: Ctx, actor: str, report: Report) -> Reply:
    if not (report.may_publish and report.summary):
        return Reply.of(ctx._(NOT_YOURS))
    needed = policy(ctx).publish_approvals
    count, published = await approve(
        ctx.unit.session, report, actor, needed, policy(ctx).clock().date()
    )
    await auditing.record(ctx, actor, "approve", "report", report.id,
                          approvals=count, needed=needed)  # fmt: skip
    if published:
        await auditing.record(ctx, actor, "publish", "report", report.id,
                              summary=report.summary)  # fmt: skip
        assert report.published_week is not None
        await incident_published(ctx, report.summary_area_code, report.category,
                                 report.published_week)  # fmt: skip
        return Reply.of(ctx._("Published. Citizens see it with /incidents."))
    release(report)
    return Reply.of(
        fmt(
            ctx._("Approved ({count} of {needed}). Another moderator must approve it too."),
            count=str(count),
            needed=str(needed),
        )
    )


async def _step_report(ctx: Ctx, what: str) -> tuple[str, Report] | Reply:
    actor = await moderator(ctx, what, reports=True)
    if isinstance(actor, Reply):
        ctx.state = ctx.state.fresh()
        return actor
    report_id = ctx.state.data.get("report")
    report = await claimed(
        ctx.unit.session, int(report_id) if isinstance(report_id, int) else -1, actor,
        policy(ctx).clock(),
    )  # fmt: skip
    ctx.state = ctx.state.fresh()
    if report is None:
        return Reply.of(ctx._(NOT_YOURS))
    return actor, report


@router.step(SUMMARY)
async def summary_typed(ctx: Ctx) -> Reply:
    held = await _step_report(ctx, "summary")
    if isinstance(held, Reply):
        return held
    actor, report = held
    if not report.may_publish:
        await auditing.record(ctx, actor, "refused", "report", report.id, button="summary")
        return Reply.of(ctx._(NO_CONSENT))
    before = report.summary
    report.summary = message_text(ctx)
    report.summary_area_code = await county_of(ctx.unit.session, report.area_code)
    await auditing.record(ctx, actor, "edit_summary", "report", report.id,
                          before=before, after=report.summary)  # fmt: skip
    return await show(ctx, report)


@router.step(QUESTION)
async def question_typed(ctx: Ctx) -> Reply:
    held = await _step_report(ctx, "question")
    if isinstance(held, Reply):
        return held
    actor, report = held
    keys = policy(ctx).reports.keys
    if keys is None:
        return Reply.of(ctx._(NO_KEY))
    await add_message(
        ctx.unit.session, report, "moderators", message_text(ctx), keys, policy(ctx).clock().date()
    )
    report.status = ReportStatus.question
    release(report)
    # The question's words stay out of the audit log: they may quote the report.
    await auditing.record(ctx, actor, "ask", "report", report.id)
    return Reply.of(
        ctx._("Sent. The reporter sees it with /status. Send /queue for the next item.")
    )
