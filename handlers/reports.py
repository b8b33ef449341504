"""/report: an incident report, guided step by step, that never records who sent it.

The whole flow is private (``ConversationState.privately``): its draft is sealed
under a pseudonym that changes daily, expires within the hour and is deleted on
submit or cancel. On submit the report is encrypted (storage.reports) and the
reporter gets a receipt, shown once, for /status.
"""

from __future__ import annotations

import base64
import unicodedata
from dataclasses import replace
from typing import Any

from bot.core.context import Prep
from bot.core.events import PhotoMessage, TextMessage, UnsupportedMessage
from bot.core.i18n import N_
from bot.core.markup import Text, bold, code, fmt, italic, join, plain
from bot.core.replies import Button, Reply
from bot.core.state import ConversationState
from handlers.areas import place_buttons
from handlers.base import EXPIRED, Ctx, action_arg, message_text, new_router
from handlers.flood import within_sender_caps
from handlers.heavy import BUSY, Busy, cleaned, off_loop
from handlers.labels import label
from handlers.policy import policy
from handlers.start import DESCRIPTIONS
from storage.areas import get_area, search_areas
from storage.images import ImageRejected
from storage.models import AreaLevel, ReportCategory, ReportWhen
from storage.receipts import format_receipt, new_receipt
from storage.reports import NewReport, file_report, filed_on

router = new_router()

SAFETY, CATEGORY, AREA, WHEN, DESCRIBE, PHOTOS, PUBLISH, CONFIRM = (
    "report.safety", "report.category", "report.area", "report.when",
    "report.describe", "report.photos", "report.publish", "report.confirm",
)  # fmt: skip
MAX_PHOTOS = 5
MIN_DESCRIPTION = 10
#: Button prefixes of the report flow: pressed with no draft, the draft was lost.
PREFIXES = ("rpt", "rptc", "rpta", "rptw", "rptp", "rptpub", "rpts", "rpte")
DRAFT_LOST = N_(
    "That button has expired. If you were writing a report, it was cancelled, or it is "
    "more than an hour old, or the bot has restarted since: for your safety, drafts are "
    "never saved. Send /report to start again."
)

CATEGORIES: dict[str, str] = {
    ReportCategory.threatening_calls: N_("Threatening or anonymous calls"),
    ReportCategory.employer_pressure: N_("Pressure from an employer"),
    ReportCategory.tax_inspection: N_("Tax inspections or other pressure on a business"),
    ReportCategory.police_blocking: N_("Police or guards blocking a meeting"),
    ReportCategory.detention: N_("Detention or being taken away"),
    ReportCategory.violence: N_("Violence or threats of violence"),
    ReportCategory.voter_roll: N_("Voter roll irregularities"),
    ReportCategory.ballot: N_("Ballot or counting irregularities"),
    ReportCategory.kept_off_list: N_("Kept off the candidate list"),
    ReportCategory.other: N_("Something else"),
}

WHENS: dict[str, str] = {
    ReportWhen.today: N_("Today"),
    ReportWhen.this_week: N_("This week"),
    ReportWhen.this_month: N_("This month"),
    ReportWhen.earlier: N_("Earlier"),
}

SAFETY_NOTE = N_(
    "Before you start: this bot does not record who you are, and your report is stored "
    "encrypted. But the chat service still sees that you wrote to this bot, and when. "
    "Telegram's servers can read this chat. On Matrix, end-to-end encryption on a "
    "homeserver you trust is the safer channel. Leave out your name and details that "
    "identify you unless you want the moderators to know them."
)
#: The same, on the bot's own web page: no chat service, but the network and the device.
SAFETY_NOTE_OWN_PAGE = N_(
    "Before you start: this bot does not record who you are, and your report is stored "
    "encrypted. This page is the bot's own: no chat service carries it. But unless you "
    "use Tor Browser, whoever watches your connection can see that you opened it, and "
    "anyone who picks up this device can read this page until you end the session. Leave "
    "out your name and details that identify you unless you want the moderators to know "
    "them."
)
RECEIPT_NOTE = N_(
    "Send /status followed by the receipt to see what happened to your report, answer the "
    "moderators' questions or add information. Anyone with the receipt can do so: keep it "
    "safe, and delete this message if others may see your phone."
)
#: On the web page, where no message can be deleted but the session can be ended.
RECEIPT_NOTE_OWN_PAGE = N_(
    "Send /status followed by the receipt to see what happened to your report, answer the "
    "moderators' questions or add information. Anyone with the receipt can do so: keep it "
    "safe, and end this session (the button at the foot of the page) if others may use "
    "this device."
)
PHOTO_REFUSALS = {
    "too_large": N_("That photo is larger than 10 MB. Please send a smaller one."),
    "not_an_image": N_("That is not a photo I can read. Please send a JPEG or PNG image."),
    "too_many_pixels": N_("That image is too large to open safely. Please send a smaller one."),
}


def _cancel_row(ctx: Ctx) -> list[Button]:
    return [Button(ctx._("Cancel the report"), "rpt:cancel")]


def _draft(ctx: Ctx) -> dict[str, Any]:
    draft = dict(ctx.state.data)
    ctx.protect(draft.get("description"))
    return draft


def _not_set_up(ctx: Ctx) -> Reply | None:
    setup = policy(ctx).reports
    if setup.keys is None or setup.hasher is None:
        return Reply.of(
            ctx._("Reports are not set up on this bot yet: the moderators have no key.")
        )
    return None


# Steps ---------------------------------------------------------------------


def in_report(state: ConversationState) -> bool:
    return state.private and (state.step or "").startswith("report.")


@router.command("report", description=DESCRIPTIONS["report"], ends_flows=True)
async def report_command(ctx: Ctx) -> Reply:
    if in_report(ctx.previous):
        ctx.state = ctx.previous  # never thrown away unasked
        return Reply.of(
            ctx._("You are already writing a report. Go on with it, or start a new one?"),
            [
                [Button(ctx._("Go on with my report"), "rpt:resume")],
                [Button(ctx._("Discard it and start again"), "rpt:restart")],
            ],
        )
    if not ctx.event.chat.private:
        return Reply.of(
            ctx._(
                "For your safety I only take reports in a private chat. "
                "Write to me directly and send /report there."
            )
        )
    refusal = _not_set_up(ctx)
    if refusal is not None:
        return refusal
    ctx.state = ctx.state.fresh().privately(SAFETY)
    return ask_safety(ctx)


def ask_safety(ctx: Ctx) -> Reply:
    note = SAFETY_NOTE if ctx.capabilities.chat_service else SAFETY_NOTE_OWN_PAGE
    return Reply.of(
        join([bold(ctx._("Report an incident")), plain(ctx._(note))]),
        [[Button(ctx._("I understand, continue"), "rpt:go")], _cancel_row(ctx)],
    )


def ask_category(ctx: Ctx) -> Reply:
    ctx.state = ctx.state.privately(CATEGORY)
    rows = [[Button(ctx._(text), f"rptc:{value}")] for value, text in CATEGORIES.items()]
    return Reply.of(ctx._("What happened? Choose the closest kind."), [*rows, _cancel_row(ctx)])


@router.action("rpt")
async def report_control(ctx: Ctx) -> Reply:
    choice = action_arg(ctx)
    if choice == "cancel":
        if not in_report(ctx.state):
            return Reply.of(ctx._("There is nothing to cancel."))
        ctx.state = ctx.state.fresh()
        return Reply.of(ctx._("Your report was cancelled and deleted. Nothing was kept."))
    if choice == "go" and ctx.state.step == SAFETY:
        return ask_category(ctx)
    if choice == "resume" and in_report(ctx.state):
        return await ask_again(ctx)
    if choice == "restart" and in_report(ctx.state):
        ctx.state = ctx.state.fresh().privately(SAFETY)
        return ask_safety(ctx)
    return Reply.of(ctx._(EXPIRED))


@router.action("rptc", step=CATEGORY)
async def category_chosen(ctx: Ctx) -> Reply:
    category = action_arg(ctx)
    if category not in CATEGORIES:
        return Reply.of(ctx._(EXPIRED))
    ctx.state = ctx.state.privately(AREA, category=category)
    return ask_area(ctx)


def ask_area(ctx: Ctx) -> Reply:
    return Reply.of(
        ctx._(
            "Where did it happen? Type the name of the county, district, town or street "
            "office (not an address), or skip."
        ),
        [[Button(ctx._("Skip"), "rpta:")], _cancel_row(ctx)],
    )


@router.step(AREA)
async def area_typed(ctx: Ctx) -> Reply:
    places = await search_areas(ctx.unit.session, message_text(ctx), limit=6)
    places = [p for p in places if p.level != AreaLevel.village]
    if not places:
        return Reply.of(
            ctx._("I did not find that place. Type another name, or skip."),
            [[Button(ctx._("Skip"), "rpta:")], _cancel_row(ctx)],
        )
    rows = await place_buttons(ctx, places, "rpta")
    return Reply.of(
        ctx._("Which one?"), [*rows, [Button(ctx._("Skip"), "rpta:")], _cancel_row(ctx)]
    )


@router.action("rpta", step=AREA)
async def area_chosen(ctx: Ctx) -> Reply:
    area_code: str | None = action_arg(ctx) or None
    if area_code is not None:
        area = await get_area(ctx.unit.session, area_code)
        # No finer than a township: a village would narrow the reporter down.
        if area is None or area.level == AreaLevel.village:
            return Reply.of(ctx._(EXPIRED))
    ctx.state = ctx.state.privately(WHEN, area=area_code)
    return ask_when(ctx)


def ask_when(ctx: Ctx) -> Reply:
    rows = [[Button(ctx._(text), f"rptw:{value}")] for value, text in WHENS.items()]
    return Reply.of(ctx._("When did it happen?"), [*rows, _cancel_row(ctx)])


@router.action("rptw", step=WHEN)
async def when_chosen(ctx: Ctx) -> Reply:
    when = action_arg(ctx)
    if when not in WHENS:
        return Reply.of(ctx._(EXPIRED))
    return when_known(ctx, when)


def when_known(ctx: Ctx, when: str) -> Reply:
    if _draft(ctx).get("description"):  # typed early, and kept
        ctx.state = ctx.state.privately(PHOTOS, when=when, photos=[])
        return Reply.of(
            join(
                [
                    plain(ctx._("I will use what you wrote earlier as the description.")),
                    ask_photos(ctx, 0).text,
                ]
            ),
            ask_photos(ctx, 0).buttons,
        )
    ctx.state = ctx.state.privately(DESCRIBE, when=when)
    return ask_description(ctx)


def ask_description(ctx: Ctx) -> Reply:
    return Reply.of(
        ctx._(
            "Describe what happened, in your own words: who did what, where and when. "
            "Send it as one message."
        ),
        [_cancel_row(ctx)],
    )


def _has_words(text: str) -> bool:
    letters = sum(1 for c in text if unicodedata.category(c)[0] in "LN")
    return letters >= MIN_DESCRIPTION or (
        letters >= 4 and any("\u4e00" <= c <= "\u9fff" for c in text)
    )


@router.step(DESCRIBE, media=True)
async def description_typed(ctx: Ctx) -> Reply:
    if not isinstance(ctx.event, TextMessage):
        return Reply.of(
            ctx._("First describe what happened in words; you can add photos after that."),
            [_cancel_row(ctx)],
        )
    description = message_text(ctx)
    if not _has_words(description):
        return Reply.of(
            ctx._("Please describe what happened in a few words, so the moderators understand."),
            [_cancel_row(ctx)],
        )
    if _draft(ctx).get("editing"):
        ctx.state = ctx.state.privately(CONFIRM, description=description, editing=False)
        return await review(ctx)
    ctx.state = ctx.state.privately(PHOTOS, description=description, photos=[])
    return ask_photos(ctx, 0)


def ask_photos(ctx: Ctx, count: int) -> Reply:
    """The photo step's question; ``count`` -1 asks for more without counting."""
    if count < 0:
        return Reply.of(
            ctx._("Send a photo, or press the button when you are done."),
            [[Button(ctx._("Done with photos"), "rptp:done")], _cancel_row(ctx)],
            asks_for_photo=True,
        )
    text = (
        fmt(
            ctx._("You may add up to {max} photos (screenshots of messages, for example)."),
            max=str(MAX_PHOTOS),
        )
        + "\n"
        + ctx._("Location and camera details are removed from every photo before it is stored.")
        if count == 0
        else fmt(ctx._("Photo {count} of {max} added."), count=str(count), max=str(MAX_PHOTOS))
    )
    label_ = ctx._("Continue without photos") if count == 0 else ctx._("Done with photos")
    return Reply.of(text, [[Button(label_, "rptp:done")], _cancel_row(ctx)], asks_for_photo=True)


@router.before(step=PHOTOS)
async def clean_photo(prep: Prep) -> object:
    """Decode and re-encode the photo in the pool: (media type, bytes), or the refusal."""
    if not isinstance(prep.event, PhotoMessage):
        return None
    return await cleaned(prep.event.image)


@router.step(PHOTOS, media=True)
async def photo_sent(ctx: Ctx) -> Reply:
    # Every answer at this step still asks for a photo (an upload field on the web).
    return replace(await _photo_answer(ctx), asks_for_photo=True)


async def _photo_answer(ctx: Ctx) -> Reply:
    event = ctx.event
    draft = _draft(ctx)
    photos: list[list[str]] = list(draft.get("photos", []))
    if isinstance(event, UnsupportedMessage):
        return Reply.of(
            ctx._(
                "Please send pictures as photos, not as files: files keep hidden details "
                "such as where and when they were made, and who made them."
            ),
            [[Button(ctx._("Done with photos"), "rptp:done")], _cancel_row(ctx)],
        )
    if isinstance(event, TextMessage):
        # More words about the incident: they belong to the description.
        more = message_text(ctx)
        description = f"{draft.get('description', '')}\n{more}".strip()
        ctx.protect(description)
        ctx.state = ctx.state.privately(PHOTOS, description=description)
        return Reply.of(
            join([plain(ctx._("I added that to your description.")), ask_photos(ctx, -1).text]),
            ask_photos(ctx, len(photos)).buttons,
        )
    if not isinstance(event, PhotoMessage):
        return Reply.of(
            ctx._("Send a photo, or press the button when you are done."),
            [[Button(ctx._("Done with photos"), "rptp:done")], _cancel_row(ctx)],
        )
    if len(photos) >= MAX_PHOTOS:
        return Reply.of(
            fmt(ctx._("A report takes at most {max} photos."), max=str(MAX_PHOTOS)),
            [[Button(ctx._("Done with photos"), "rptp:done")], _cancel_row(ctx)],
        )
    prepared = ctx.prepared
    if not isinstance(prepared, tuple):
        refusal = (
            ctx._(PHOTO_REFUSALS[prepared.reason])
            if isinstance(prepared, ImageRejected)
            else ctx._(BUSY)
        )
        return Reply.of(
            refusal, [[Button(ctx._("Done with photos"), "rptp:done")], _cancel_row(ctx)]
        )
    media_type, clean = prepared
    photos.append([media_type, base64.b64encode(clean).decode()])
    ctx.state = ctx.state.privately(PHOTOS, photos=photos)
    return ask_photos(ctx, len(photos))


@router.action("rptp", step=PHOTOS)
async def photos_done(ctx: Ctx) -> Reply:
    ctx.state = ctx.state.privately(PUBLISH)
    return ask_publish(ctx)


def ask_publish(ctx: Ctx) -> Reply:
    return Reply.of(
        ctx._(
            "May the moderators publish a short anonymised summary of this report "
            "(area no finer than the county, date to the week, no names)?"
        ),
        [
            [Button(ctx._("Yes, an anonymised summary may be published"), "rptpub:yes")],
            [Button(ctx._("No, keep it with the moderators"), "rptpub:no")],
            _cancel_row(ctx),
        ],
    )


@router.action("rptpub", step=PUBLISH)
async def publish_chosen(ctx: Ctx) -> Reply:
    choice = action_arg(ctx)
    if choice not in ("yes", "no"):
        return Reply.of(ctx._(EXPIRED))
    ctx.state = ctx.state.privately(CONFIRM, publish=choice == "yes")
    return await review(ctx)


async def review(ctx: Ctx) -> Reply:
    draft = _draft(ctx)
    area = await get_area(ctx.unit.session, draft["area"]) if draft.get("area") else None
    lines: list[Text] = [
        bold(ctx._("Please check your report:")),
        fmt(ctx._("What: {category}"), category=label(CATEGORIES, draft["category"], ctx._)),
        fmt(ctx._("Where: {area}"), area=area.name if area else ctx._("not given")),
        fmt(ctx._("When: {when}"), when=label(WHENS, draft["when"], ctx._)),
        fmt(ctx._("Photos: {count}"), count=str(len(draft.get("photos", [])))),
        plain(
            ctx._("An anonymised summary may be published.")
            if draft.get("publish")
            else ctx._("Nothing will be published.")
        ),
        italic(draft["description"]),
    ]
    return Reply.of(
        join(lines),
        [
            [Button(ctx._("Send the report"), "rpts:send")],
            [Button(ctx._("Change the description"), "rpte:description")],
            _cancel_row(ctx),
        ],
    )


@router.action("rpte", step=CONFIRM)
async def edit_chosen(ctx: Ctx) -> Reply:
    ctx.state = ctx.state.privately(DESCRIBE, editing=True)
    return Reply.of(
        join(
            [
                plain(ctx._("Send the new description; it replaces this one:")),
                italic(str(_draft(ctx).get("description", ""))),
            ]
        ),
        [_cancel_row(ctx)],
    )


async def ask_again(ctx: Ctx) -> Reply:
    """The question of the step the draft is at, as first asked."""
    step = ctx.state.step
    if step == SAFETY:
        return ask_safety(ctx)
    if step == CATEGORY:
        return ask_category(ctx)
    if step == AREA:
        return ask_area(ctx)
    if step == WHEN:
        return ask_when(ctx)
    if step == DESCRIBE:
        return ask_description(ctx)
    if step == PHOTOS:
        return ask_photos(ctx, len(_draft(ctx).get("photos", [])))
    if step == PUBLISH:
        return ask_publish(ctx)
    return await review(ctx)


@router.before(action="rpts")
async def make_receipt(prep: Prep) -> object:
    """A new receipt and its slow hash, computed in the pool before the transaction."""
    hasher = policy(prep).reports.hasher
    if prep.step != CONFIRM or hasher is None:
        return None
    receipt = new_receipt()
    try:
        return receipt, await off_loop(hasher.hash, receipt)
    except Busy as busy:
        return busy


@router.action("rpts", step=CONFIRM)
async def submit(ctx: Ctx) -> list[Reply]:
    setup = policy(ctx).reports
    if setup.keys is None or setup.hasher is None:
        return [
            Reply.of(ctx._("Reports are not set up on this bot yet: the moderators have no key."))
        ]
    if not isinstance(ctx.prepared, tuple):  # the pool was full: the draft stays
        return [Reply.of(ctx._(BUSY), [[Button(ctx._("Send the report"), "rpts:send")]])]
    receipt, receipt_hash = ctx.prepared
    draft = _draft(ctx)
    now = policy(ctx).clock()
    assert ctx.ephemeral is not None
    within_caps = await within_sender_caps(ctx.ephemeral, ctx.daily_sender, setup.caps)
    within_caps = within_caps and await filed_on(ctx.unit.session, now.date()) < (
        setup.caps.global_per_day
    )
    ctx.protect(receipt, format_receipt(receipt))
    await file_report(
        ctx.unit.session,
        NewReport(
            category=draft["category"],
            area_code=draft.get("area"),
            happened=draft["when"],
            description=draft["description"],
            photos=tuple((m, base64.b64decode(d)) for m, d in draft.get("photos", [])),
            may_publish=bool(draft.get("publish")),
        ),
        keys=setup.keys,
        receipt_hash=receipt_hash,
        today=now.date(),
        quarantined=not within_caps,
    )
    ctx.state = ctx.state.fresh()
    receipt_note = RECEIPT_NOTE if ctx.capabilities.chat_service else RECEIPT_NOTE_OWN_PAGE
    replies = [
        Reply.of(
            join(
                [
                    bold(ctx._("Your report was received. Thank you.")),
                    plain(ctx._("Your receipt (shown only this once, write it down):")),
                    code(format_receipt(receipt)),
                    plain(ctx._(receipt_note)),
                ]
            )
        )
    ]
    if not within_caps:
        replies.append(
            Reply.of(
                ctx._(
                    "Many reports have arrived in a short time, so this one will be reviewed "
                    "a little later. Please wait before sending another."
                )
            )
        )
    return replies
