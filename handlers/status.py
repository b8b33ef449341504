"""/status <receipt>: a reporter sees what became of their report, reads the moderators'
questions and adds information, known to the bot only by the receipt."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.context import Prep
from bot.core.events import Command
from bot.core.i18n import N_
from bot.core.markup import Text, bold, fmt, join, plain
from bot.core.replies import Button, Reply
from handlers.base import EXPIRED, Ctx, action_arg, command_args, message_text, new_router
from handlers.heavy import BUSY, Busy, off_loop
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


#: Receipt guesses one sender may make in an hour, and all senders together in a
#: minute; a receipt has 10^16 values, so either cap alone makes guessing hopeless,
#: and both keep the Argon2id pool free for everyone else.
PER_SENDER_HOUR = 10
GLOBAL_MINUTE = 60
TOO_MANY = N_(
    "You have checked receipts many times in a short while. Please wait an hour and try again."
)


@dataclass(frozen=True, slots=True)
class Lookup:
    """A typed receipt and its slow hash, computed in the pool before the transaction."""

    receipt: str
    receipt_hash: bytes


@router.before(command="status")
async def hash_receipt(prep: Prep) -> Lookup | str | None:
    """The receipt's hash, or the msgid that says why there is none."""
    event = prep.event
    hasher = policy(prep).reports.hasher
    if not isinstance(event, Command) or not event.chat.private or hasher is None:
        return None
    receipt = parse_receipt(event.args)
    if receipt is None:
        return None
    # Counted before hashing, so that guesses cost the guesser, not the pool.
    mine = await prep.ephemeral.incr(f"status:{prep.sender_tag}", 3600.0)
    if mine > PER_SENDER_HOUR:
        return TOO_MANY  # and spends none of everyone's budget
    minute = int(policy(prep).clock().timestamp() // 60)
    everyone = await prep.ephemeral.incr(f"status:all:{minute}", 120.0)
    if everyone > GLOBAL_MINUTE:
        return BUSY
    try:
        return Lookup(receipt, await off_loop(hasher.hash, receipt))
    except Busy:
        return BUSY


async def _find(ctx: Ctx, lookup: Lookup) -> Report | None:
    return await by_receipt(ctx.unit.session, lookup.receipt_hash, policy(ctx).clock().date())


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
    lookup = ctx.prepared
    if isinstance(lookup, str):
        return Reply.of(ctx._(lookup))
    report = await _find(ctx, lookup) if isinstance(lookup, Lookup) else None
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
