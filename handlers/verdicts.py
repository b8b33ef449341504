"""What moderators decided on a candidate's update, told to the candidate: through the
outbox to the private chats the candidate's accounts use with the bot, in the language
the update was written in, with the moderators' reason when it is not published."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core.i18n import N_, Gettext
from bot.core.markup import Text, fmt, join, plain
from bot.core.replies import Reply
from handlers.base import Ctx
from handlers.labels import TOPICS, label, long_date
from handlers.policy import policy
from storage import updates
from storage.models import CandidateUpdate, Moderation, PlatformPoint, UpdateKind
from storage.outbox import enqueue
from storage.roles import candidate_chats

OTHER = "other"
#: Why moderators do not publish a candidate's update; OTHER asks them to write it.
REASONS: dict[str, str] = {
    "off_topic": N_("It is not about the election or your platform."),
    "unverifiable": N_("It states something moderators could not check."),
    "private_person": N_("It names or describes a private person."),
    "abusive": N_("It insults or threatens someone."),
    "bad_link": N_("The link is unsafe or does not lead where it says."),
    OTHER: N_("Another reason (write it)"),
}

PUBLISHED = N_("Moderators published your update ({what}, sent {date}): citizens see it now.")
REJECTED = N_("Moderators did not publish your update ({what}, sent {date}). Reason: {reason}")
TAKEN_DOWN = N_(
    "Moderators took down your update ({what}, sent {date}): citizens no longer see it. "
    "Reason: {reason}"
)
WITHDRAWN = N_("Moderators confirmed your withdrawal: your profile shows you as withdrawn.")
NOT_WITHDRAWN = N_(
    "Moderators did not confirm your withdrawal: you are still a candidate. Reason: {reason}"
)
AFTERWARDS = N_("Send /update to send a corrected one; /myprofile shows what became of each.")
#: Labels for what a candidate sent, as the candidate's messages name it.
WHAT: dict[str, str] = {
    "platform": N_("platform, {topic}"),
    UpdateKind.event: N_("campaign event"),
    UpdateKind.statement: N_("statement"),
    UpdateKind.link: N_("link"),
    UpdateKind.withdrawal: N_("withdrawal"),
}


def reason_text(_: Gettext, reason: str | None, note: str | None) -> str:
    """The reason as the candidate reads it: the moderator's own words for "other"."""
    if reason is None or reason == OTHER or reason not in REASONS:
        return note or ""
    return label(REASONS, reason, _)


def what_text(_: Gettext, kind: str, topic: str | None) -> str:
    if kind == "platform":
        return _(WHAT["platform"]).format(topic=label(TOPICS, topic or "", _))
    return label(WHAT, kind, _)


async def tell_candidate(ctx: Ctx, candidacy_id: int, item: updates.Item, before: str) -> int:
    """Queue the decision on ``item`` (its status ``before`` the decision) for the
    candidate's chats; returns how many were queued. An item a trusted candidate
    published and moderators kept needs no word."""
    if item.status == Moderation.approved and before == Moderation.approved:
        return 0
    chats = await candidate_chats(ctx.unit.session, candidacy_id)
    if not chats:
        return 0
    reply = Reply.of(await _decision(ctx, item, before))
    for chat in chats:
        await enqueue(ctx.unit.session, chat.platform, chat.chat_id, reply.to_json())
    return len(chats)


async def _decision(ctx: Ctx, item: updates.Item, before: str) -> Text:
    _ = ctx.catalogs.gettext(item.language)
    reason = reason_text(_, item.reject_reason, item.reject_note)
    withdrawal = isinstance(item, CandidateUpdate) and item.kind == UpdateKind.withdrawal
    if withdrawal:
        if item.status == Moderation.approved:
            return plain(_(WITHDRAWN))
        return fmt(_(NOT_WITHDRAWN), reason=reason)
    topic = None
    if not isinstance(item, CandidateUpdate):
        topic = (await ctx.unit.session.get_one(PlatformPoint, item.point_id)).topic
    kind = item.kind if isinstance(item, CandidateUpdate) else "platform"
    sent_on = item.created_at.astimezone(ZoneInfo(policy(ctx).timezone)).date()
    values = {"what": what_text(_, kind, topic), "date": long_date(sent_on, item.language)}
    if item.status == Moderation.approved:
        return fmt(_(PUBLISHED), **values)
    message = TAKEN_DOWN if before == Moderation.approved else REJECTED
    return join([fmt(_(message), reason=reason, **values), plain(_(AFTERWARDS))])
