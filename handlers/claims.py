"""Verified candidates: /verify issues a one-time claim code, /claim redeems it from the
candidate's own account, /revoke ends a claim."""

from __future__ import annotations

from datetime import timedelta

from bot.core.i18n import N_
from bot.core.markup import code, fmt, join, plain
from bot.core.replies import Reply
from handlers import auditing
from handlers.announce import NEW_CLAIM, announce
from handlers.base import Ctx, command_args, new_router, number
from handlers.labels import long_date
from handlers.policy import policy
from handlers.staff import CANDIDATE, CITIZEN, Place, moderator, place
from storage import claims
from storage.candidates import candidacy_summary
from storage.roles import remember_candidate_chat

router = new_router()

BAD_CODE = N_("That code is not valid: it is wrong, already used or expired.")
CODES_IN_PRIVATE = N_(
    "Claim codes are shown only in a private chat with the bot: whoever reads one can claim "
    "the profile. Send /verify there."
)
SEEN = N_(
    "Send /claim only in a private chat with me. Everyone here has seen this code, so it no "
    "longer works: ask a moderator for a new one."
)


async def _candidate(ctx: Ctx) -> tuple[int, str] | Reply:
    arg = command_args(ctx).strip()
    candidacy_id = number(arg)
    summary = await candidacy_summary(ctx.unit.session, candidacy_id) if candidacy_id else None
    if summary is None:
        return Reply.of(ctx._("Give the candidate's number, as /candidate shows it."))
    return summary.id, summary.name


@router.command("verify")
async def verify_command(ctx: Ctx) -> Reply:
    actor = await moderator(ctx, "verify")
    if isinstance(actor, Reply):
        return actor
    if place(ctx) is not Place.private:  # the room has members the bot never chose
        await auditing.record(ctx, actor, "refused", "command", "verify", chat="room")
        return Reply.of(ctx._(CODES_IN_PRIVATE))
    found = await _candidate(ctx)
    if isinstance(found, Reply):
        return found
    candidacy_id, name = found
    rules = policy(ctx)
    issued, expires = await claims.issue(
        ctx.unit.session, candidacy_id, actor, rules.clock(),
        timedelta(hours=rules.claim_code_hours),
    )  # fmt: skip
    ctx.protect(issued, claims.show(issued))
    await auditing.record(ctx, actor, "issue_claim_code", "candidacy", candidacy_id)
    return Reply.of(
        join(
            [
                fmt(
                    ctx._("Claim code for {name} ({number}):"), name=name, number=str(candidacy_id)
                ),
                code(claims.show(issued)),
                fmt(
                    ctx._(
                        "Give it to the candidate in person or over a channel you trust, after "
                        "checking who they are. It works once, until {date}."
                    ),
                    date=long_date(expires.date(), ctx.language),
                ),
            ]
        )
    )


@router.command("claim")
async def claim_command(ctx: Ctx) -> Reply:
    typed = command_args(ctx)
    ctx.protect(typed)
    if not typed:
        return Reply.of(ctx._("Send /claim followed by the code a moderator gave you."))
    if not ctx.event.chat.private:
        # Others read it here: nobody may use it now, least of all one of them.
        await claims.burn(ctx.unit.session, typed, policy(ctx).clock())
        await auditing.record(ctx, CITIZEN, "refused", "claim_code", "", chat="other")
        return Reply.of(ctx._(SEEN))
    sender = ctx.event.sender
    candidacy_id = await claims.redeem(
        ctx.unit.session, typed, sender.platform, sender.id, policy(ctx).clock()
    )
    if candidacy_id is None:
        await auditing.record(ctx, CITIZEN, "refused", "claim_code", "")
        return Reply.of(ctx._(BAD_CODE))
    await auditing.record(ctx, CANDIDATE, "claim", "candidacy", candidacy_id)
    if ctx.event.chat.private:  # where moderators' decisions on its updates will reach it
        await remember_candidate_chat(ctx.unit.session, sender.platform, sender.id,
                                      ctx.event.chat.id)  # fmt: skip
    summary = await candidacy_summary(ctx.unit.session, candidacy_id)
    await announce(ctx, NEW_CLAIM, name=summary.name if summary else str(candidacy_id))
    return Reply.of(
        join(
            [
                fmt(
                    ctx._(
                        "Your account now speaks for {name}: your profile shows a verified badge."
                    ),
                    name=summary.name if summary else str(candidacy_id),
                ),
                plain(
                    ctx._("Send /update to propose changes, and /myprofile to see your profile.")
                ),
            ]
        )
    )


@router.command("revoke")
async def revoke_command(ctx: Ctx) -> Reply:
    actor = await moderator(ctx, "revoke")
    if isinstance(actor, Reply):
        return actor
    found = await _candidate(ctx)
    if isinstance(found, Reply):
        return found
    candidacy_id, name = found
    count = await claims.revoke(ctx.unit.session, candidacy_id, policy(ctx).clock())
    await auditing.record(ctx, actor, "revoke_claim", "candidacy", candidacy_id,
                          accounts=count)  # fmt: skip
    return Reply.of(
        fmt(ctx._("{count} accounts no longer speak for {name}."), count=str(count), name=name)
    )
