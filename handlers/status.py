"""/status <receipt>: a reporter sees what became of their report, reads the moderators'
questions and adds information, known to the bot only by the receipt."""

from __future__ import annotations

from bot.core.i18n import N_
from bot.core.markup import Text, bold, fmt, join, plain
from bot.core.replies import Button, Reply
from handlers.announce import REPORT_ANSWERED, announce
from handlers.base import EXPIRED, Ctx, action_arg, command_args, message_text, new_router
from handlers.labels import label, long_date
from handlers.policy import policy
from handlers.reports import CATEGORIES
from handlers.start import DESCRIPTIONS
from storage.models import Report, ReportStatus
from storage.receipts import parse_receipt
from storage.reports import add_message, by_receipt, view

router = new_router()

ADD = "status.add"

STATUSES: dict[str, str] = {
    ReportStatus.new: N_("received, not reviewed yet"),
    ReportStatus.quarantined: N_("received; waiting, because many reports arrived at once"),
    ReportStatus.in_review: N_("being reviewed"),
    ReportStatus.question: N_("the moderators have a question for you"),
    ReportStatus.published: N_("an anonymised summary was published"),
    ReportStatus.rejected: N_("reviewed, not published"),
    ReportStatus.closed: N_("closed"),
}
AUTHORS = {"reporter": N_("You"), "moderators": N_("Moderators")}
NOT_FOUND = N_(
    "No report has that receipt. Check the 16 digits; a receipt stops working after "
    "90 days without use."
)


async def _find(ctx: Ctx, receipt: str) -> Report | None:
    setup = policy(ctx).reports
    if setup.hasher is None:
        return None
    return await by_receipt(ctx.unit.session, receipt, setup.hasher, policy(ctx).clock().date())


@router.command("status", description=DESCRIPTIONS["status"])
async def status_command(ctx: Ctx) -> Reply:
    if not ctx.event.chat.private:
        return Reply.of(ctx._("For your safety, use /status only in a private chat with me."))
    typed = command_args(ctx)
    if not typed:
        return Reply.of(ctx._("Send /status followed by your 16-digit receipt."))
    receipt = parse_receipt(typed)
    if receipt is None:
        return Reply.of(ctx._("That is not a receipt: a receipt has 16 digits."))
    ctx.protect(receipt)
    setup = policy(ctx).reports
    report = await _find(ctx, receipt)
    if report is None or setup.keys is None:
        return Reply.of(ctx._(NOT_FOUND))
    shown = await view(ctx.unit.session, report, setup.keys)
    lines: list[Text] = [
        bold(fmt(ctx._("Your report of {date}"), date=long_date(shown.created_on, ctx.language))),
        fmt(ctx._("What: {category}"), category=label(CATEGORIES, shown.category, ctx._)),
        fmt(ctx._("Status: {status}"), status=label(STATUSES, shown.status, ctx._)),
    ]
    for message in shown.messages:
        ctx.protect(message.text)
        lines.append(
            fmt(
                ctx._("{author}, {date}: {text}"),
                author=label(AUTHORS, message.author, ctx._),
                date=long_date(message.created_on, ctx.language),
                text=message.text,
            )
        )
    # Where the report is, not who asks, is what the next step needs to know.
    ctx.state = ctx.state.fresh().privately(ADD + ".offer", report=report.id)
    return Reply.of(join(lines), [[Button(ctx._("Add information"), "rstat:add")]])


@router.action("rstat", step=ADD + ".offer")
async def add_offer(ctx: Ctx) -> Reply:
    if action_arg(ctx) != "add":
        return Reply.of(ctx._(EXPIRED))
    ctx.state = ctx.state.privately(ADD)
    return Reply.of(
        ctx._("Send what you want to add, as one message. It is stored encrypted."),
        [[Button(ctx._("Cancel"), "rstatc:")]],
    )


@router.action("rstatc", step=ADD)
async def add_cancel(ctx: Ctx) -> Reply:
    ctx.state = ctx.state.fresh()
    return Reply.of(ctx._("Cancelled. Nothing was kept."))


@router.step(ADD)
async def add_text(ctx: Ctx) -> Reply:
    setup = policy(ctx).reports
    report = await ctx.unit.session.get(Report, ctx.state.data.get("report"))
    ctx.state = ctx.state.fresh()
    if report is None or setup.keys is None:
        return Reply.of(ctx._(EXPIRED))
    text = message_text(ctx)
    if report.status == ReportStatus.question:
        report.status = ReportStatus.in_review  # answered: back in the moderators' queue
    await announce(ctx, REPORT_ANSWERED)
    await add_message(
        ctx.unit.session, report, "reporter", text, setup.keys, policy(ctx).clock().date()
    )
    return Reply.of(
        join(
            [
                plain(ctx._("Added to your report. The moderators will see it.")),
                plain(ctx._("Use /status with your receipt to see their answer.")),
            ]
        )
    )
