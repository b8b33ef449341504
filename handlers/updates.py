"""Verified candidates speak for themselves: /update proposes a platform point, a campaign
event, a statement, a public link or a withdrawal; /myprofile shows the profile as
citizens see it and what became of each update. Moderators /trust a candidate to
publish at once (reviewed afterwards). Every call checks that the account still speaks
for the candidate. A campaign event must fall between today and the eve of election
day: all introduction of candidates stops on election day (Election Law Art. 34)."""

from __future__ import annotations

import re
from datetime import date

from bot.core.i18n import N_
from bot.core.markup import Text, bold, fmt, join, plain
from bot.core.replies import Button, Reply
from handlers import auditing
from handlers.announce import NEW_UPDATE, announce
from handlers.base import EXPIRED, Ctx, action_arg, command_args, message_text, new_router, number
from handlers.candidates import render_profile
from handlers.labels import TOPICS, label, long_date
from handlers.policy import policy
from handlers.staff import CANDIDATE, CITIZEN, moderator, roles
from handlers.triggers import update_published
from handlers.verdicts import reason_text, what_text
from storage.candidates import candidacy_profile, candidacy_summary
from storage.models import Candidacy, Moderation, Topic, UpdateKind
from storage.roles import remember_candidate_chat
from storage.updates import SentView, propose_revision, propose_update, sent

router = new_router()

KIND, TOPIC, POINT, EVENT_DAY, EVENT_PLACE, EVENT_TEXT, STATEMENT, LINK = (
    "update.kind", "update.topic", "update.point", "update.event_day", "update.event_place",
    "update.event_text", "update.statement", "update.link",
)  # fmt: skip
KINDS: dict[str, str] = {
    "platform": N_("A platform point"),
    UpdateKind.event: N_("A campaign event"),
    UpdateKind.statement: N_("A statement"),
    UpdateKind.link: N_("A public link"),
    UpdateKind.withdrawal: N_("Withdraw from the election"),
}
CHOOSE = N_("Please choose one of the buttons below, or /cancel.")
ONLY_CANDIDATES = N_("Only a verified candidate's own account can do this: see /claim.")
_URL = re.compile(r"^https?://[^\s<>\"']{3,2000}$")


async def own_candidacy(ctx: Ctx) -> Candidacy | Reply:
    """The candidacy this account speaks for now (checked on every call); otherwise the
    attempt is audited, any flow ends, and the refusal is returned."""
    ids = (await roles(ctx)).candidacy_ids
    candidacy = await ctx.unit.session.get(Candidacy, ids[0]) if ids else None
    if candidacy is None:
        await auditing.record(ctx, CITIZEN, "refused", "command", "update")
        ctx.state = ctx.state.fresh()
        return Reply.of(ctx._(ONLY_CANDIDATES))
    if ctx.event.chat.private:  # where moderators' decisions will reach the candidate
        sender = ctx.event.sender
        await remember_candidate_chat(
            ctx.unit.session, sender.platform, sender.id, ctx.event.chat.id
        )
    return candidacy


async def _sent(
    ctx: Ctx, candidacy: Candidacy, kind: str, *, topic: str | None = None,
    event_day: date | None = None,
) -> Reply:  # fmt: skip
    await auditing.record(ctx, CANDIDATE, f"propose_{kind}", "candidacy",
                          candidacy.id, trusted=candidacy.trusted)  # fmt: skip
    ctx.state = ctx.state.fresh()
    summary = await candidacy_summary(ctx.unit.session, candidacy.id)
    await announce(ctx, NEW_UPDATE, name=summary.name if summary else str(candidacy.id))
    if candidacy.trusted and kind != UpdateKind.withdrawal:  # a withdrawal waits for review
        await update_published(ctx, candidacy.id, kind, checked=False, topic=topic,
                               event_day=event_day)  # fmt: skip
        return Reply.of(ctx._("Published. Moderators will review it afterwards."))
    return Reply.of(ctx._("Sent for review. Moderators publish it once they have checked it."))


@router.command("update")
async def update_command(ctx: Ctx) -> Reply:
    refusal = await own_candidacy(ctx)
    if isinstance(refusal, Reply):
        return refusal
    return kinds_menu(ctx)


def kinds_menu(ctx: Ctx, hint: bool = False) -> Reply:
    ctx.state = ctx.state.at(KIND)
    rows = [[Button(ctx._(text), f"upd:{kind}")] for kind, text in KINDS.items()]
    question = plain(ctx._("What do you want to publish?"))
    return Reply.of(join([plain(ctx._(CHOOSE)), question]) if hint else question, rows)


@router.step(KIND)
async def kind_typed(ctx: Ctx) -> Reply:
    """Text where a kind was asked for: ask again, rather than search it as a name."""
    refusal = await own_candidacy(ctx)
    return refusal if isinstance(refusal, Reply) else kinds_menu(ctx, hint=True)


@router.action("upd")
async def kind_chosen(ctx: Ctx) -> Reply:
    candidacy = await own_candidacy(ctx)
    if isinstance(candidacy, Reply):
        return candidacy
    kind = action_arg(ctx)
    if kind == "platform":
        ctx.state = ctx.state.at(TOPIC)
        buttons = [Button(label(TOPICS, t, ctx._), f"updt:{t.value}") for t in Topic]
        return Reply.of(ctx._("Which topic?"), [buttons[i : i + 2] for i in range(0, 11, 2)])
    if kind == UpdateKind.event:
        ctx.state = ctx.state.at(EVENT_DAY)
        return Reply.of(ctx._("On what day? Write it as 2026-12-05."))
    if kind == UpdateKind.statement:
        ctx.state = ctx.state.at(STATEMENT)
        return Reply.of(ctx._("Send your statement to voters as one message."))
    if kind == UpdateKind.link:
        ctx.state = ctx.state.at(LINK)
        return Reply.of(ctx._("Send the link (starting with https://)."))
    if kind == UpdateKind.withdrawal:
        ctx.state = ctx.state.at(None)
        return Reply.of(
            ctx._("Do you really withdraw from the election? Moderators will confirm it."),
            [[Button(ctx._("Yes, I withdraw"), "updw:yes"),
              Button(ctx._("No, I stay in the election"), "updw:no")]],
        )  # fmt: skip
    return Reply.of(ctx._(EXPIRED))


@router.action("updt", step=TOPIC)
async def topic_chosen(ctx: Ctx) -> Reply:
    topic = action_arg(ctx)
    if topic not in Topic.__members__:
        return Reply.of(ctx._(EXPIRED))
    ctx.state = ctx.state.at(POINT, topic=topic)
    return Reply.of(
        ctx._(
            "Send the new wording as one message. The old one stays visible as history, "
            "with its date."
        )
    )


@router.step(POINT)
async def point_typed(ctx: Ctx) -> Reply:
    candidacy = await own_candidacy(ctx)
    if isinstance(candidacy, Reply):
        return candidacy
    topic = str(ctx.state.data.get("topic"))
    await propose_revision(
        ctx.unit.session, candidacy, topic, ctx.language, message_text(ctx), policy(ctx).clock()
    )
    return await _sent(ctx, candidacy, "platform", topic=topic)


@router.step(STATEMENT)
async def statement_typed(ctx: Ctx) -> Reply:
    candidacy = await own_candidacy(ctx)
    if isinstance(candidacy, Reply):
        return candidacy
    await propose_update(ctx.unit.session, candidacy, UpdateKind.statement, ctx.language,
                         message_text(ctx), policy(ctx).clock())  # fmt: skip
    return await _sent(ctx, candidacy, "statement")


@router.step(LINK)
async def link_typed(ctx: Ctx) -> Reply:
    candidacy = await own_candidacy(ctx)
    if isinstance(candidacy, Reply):
        return candidacy
    url = message_text(ctx)
    if not _URL.match(url):
        return Reply.of(ctx._("That is not a web link. Send one starting with https://."))
    await propose_update(ctx.unit.session, candidacy, UpdateKind.link, ctx.language, url,
                         policy(ctx).clock(), url=url)  # fmt: skip
    return await _sent(ctx, candidacy, "link")


async def _event_day_refused(ctx: Ctx, candidacy: Candidacy, day: date) -> Reply | None:
    """Why a campaign event cannot be on ``day``, or None: not before today, and not on
    or after election day, when all introduction of candidates stops (Art. 34)."""
    if day < policy(ctx).today():
        return Reply.of(
            ctx._("That day has passed. Give a day from today on, written as 2026-12-05.")
        )
    summary = await candidacy_summary(ctx.unit.session, candidacy.id)
    vote = summary.election_day if summary else None
    if vote is None or day < vote:
        return None
    dates = {"date": long_date(day, ctx.language), "vote": long_date(vote, ctx.language)}
    if day == vote:
        message = ctx._(
            "{date} is election day, and all introduction of candidates stops on election "
            "day (Election Law Art. 34). Give an earlier day."
        )
    else:
        message = ctx._(
            "{date} is after election day ({vote}): a campaign event must come before it, "
            "since all introduction of candidates stops on election day (Election Law "
            "Art. 34). Give an earlier day."
        )
    return Reply.of(fmt(message, **dates))


@router.step(EVENT_DAY)
async def event_day_typed(ctx: Ctx) -> Reply:
    candidacy = await own_candidacy(ctx)
    if isinstance(candidacy, Reply):
        return candidacy
    try:
        day = date.fromisoformat(message_text(ctx))
    except ValueError:
        return Reply.of(ctx._("I could not read that date. Write it as 2026-12-05."))
    refused = await _event_day_refused(ctx, candidacy, day)
    if refused is not None:
        return refused  # the step stays: the next message is another try
    ctx.state = ctx.state.at(EVENT_PLACE, day=day.isoformat())
    return Reply.of(ctx._("Where? (A public place: a square, a hall, a street.)"))


@router.step(EVENT_PLACE)
async def event_place_typed(ctx: Ctx) -> Reply:
    ctx.state = ctx.state.at(EVENT_TEXT, place=message_text(ctx)[:256])
    return Reply.of(ctx._("What happens there? One message."))


@router.step(EVENT_TEXT)
async def event_text_typed(ctx: Ctx) -> Reply:
    candidacy = await own_candidacy(ctx)
    if isinstance(candidacy, Reply):
        return candidacy
    data = ctx.state.data
    day = date.fromisoformat(str(data["day"]))
    # Checked again: election day may have been set or moved while the candidate typed.
    refused = await _event_day_refused(ctx, candidacy, day)
    if refused is not None:
        ctx.state = ctx.state.at(EVENT_DAY)
        return refused
    await propose_update(
        ctx.unit.session, candidacy, UpdateKind.event, ctx.language, message_text(ctx),
        policy(ctx).clock(), event_day=day, place=str(data["place"]),
    )  # fmt: skip
    return await _sent(ctx, candidacy, "event", event_day=day)


@router.action("updw")
async def withdrawal_confirmed(ctx: Ctx) -> Reply:
    candidacy = await own_candidacy(ctx)
    if isinstance(candidacy, Reply):
        return candidacy
    answer = action_arg(ctx)
    if answer == "no":
        return Reply.of(
            ctx._(
                "You stay in the election: nothing was sent to the moderators, and your "
                "profile is unchanged."
            )
        )
    if answer != "yes":
        return Reply.of(ctx._(EXPIRED))
    await propose_update(ctx.unit.session, candidacy, UpdateKind.withdrawal, ctx.language, "",
                         policy(ctx).clock())  # fmt: skip
    return await _sent(ctx, candidacy, "withdrawal")


@router.command("myprofile")
async def myprofile_command(ctx: Ctx) -> list[Reply]:
    candidacy = await own_candidacy(ctx)
    if isinstance(candidacy, Reply):
        return [candidacy]
    profile = await candidacy_profile(ctx.unit.session, candidacy.id, ctx.language)
    assert profile is not None
    mine = await sent(ctx.unit.session, candidacy.id)
    lines: list[Text] = [bold(ctx._("What you sent, latest first:"))]
    lines += [_sent_line(ctx, view) for view in mine]
    if not mine:
        lines = [plain(ctx._("You have sent nothing yet: /update proposes a change."))]
    return [
        Reply.of(ctx._("Your profile, as citizens see it:")),
        render_profile(ctx, profile),
        Reply.of(join(lines)),
    ]


def _sent_line(ctx: Ctx, view: SentView) -> Text:
    if view.status == Moderation.rejected:
        state = fmt(
            ctx._("not published: {reason}"),
            reason=reason_text(ctx._, view.reject_reason, view.reject_note),
        )
    elif view.status == Moderation.approved and view.needs_review:
        state = plain(ctx._("published; moderators review it afterwards"))
    elif view.status == Moderation.approved:
        state = plain(ctx._("published: citizens see it"))
    else:
        state = plain(ctx._("waiting for review"))
    what = what_text(ctx._, view.kind, view.topic)
    if not view.text:  # a withdrawal says it all in its name
        return fmt(ctx._("• {what} ({state})"), what=what, state=state)
    return fmt(ctx._("• {what}: {text} ({state})"), what=what, text=view.text, state=state)


#: What may follow /trust <number>: nothing or "on" trusts, "off" stops trusting.
TRUST_ON, TRUST_OFF = ("", "on", "开", "开启"), ("off", "关", "关闭")


@router.command("trust")
async def trust_command(ctx: Ctx) -> Reply:
    actor = await moderator(ctx, "trust")
    if isinstance(actor, Reply):
        return actor
    arg, _, switch = command_args(ctx).partition(" ")
    switch = switch.strip().lower()
    candidacy_id = number(arg)
    summary = await candidacy_summary(ctx.unit.session, candidacy_id) if candidacy_id else None
    if summary is None or switch not in (*TRUST_ON, *TRUST_OFF):
        return Reply.of(
            ctx._(
                "Use /trust <number> to publish a candidate's updates at once, and "
                "/trust <number> off to have them reviewed first again."
            )
        )
    candidacy = await ctx.unit.session.get_one(Candidacy, summary.id)
    before, candidacy.trusted = candidacy.trusted, switch in TRUST_ON
    # Two actions, so that the log tells granting trust from taking it away.
    await auditing.record(ctx, actor, "trust" if candidacy.trusted else "trust_off", "candidacy",
                          candidacy.id, before=before, after=candidacy.trusted)  # fmt: skip
    if candidacy.trusted:
        return Reply.of(fmt(ctx._("{name}'s updates now publish at once."), name=summary.name))
    return Reply.of(fmt(ctx._("{name}'s updates wait for review again."), name=summary.name))
