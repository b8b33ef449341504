"""/forget: deletes everything the bot keeps about the sender, and says what it cannot.

The core deletes what it keeps (``Context.forget_sender``): this conversation's state,
any draft in the ephemeral store, the language choice. Here: a private chat's
subscriptions and the messages waiting for it, claims a moderator already ended, and,
only after an explicit Yes, a live candidate claim (giving it up needs a new claim
code). A group's subscriptions are the group's, and stay. What cannot be deleted is
said plainly: reports are linked to no one, staff roles are an administrator's to
remove, and the audit log names only staff.
"""

from __future__ import annotations

from bot.core.i18n import N_
from bot.core.markup import Text, fmt, join, plain
from bot.core.replies import Button, Reply
from bot.core.state import IDLE
from handlers import auditing
from handlers.base import EXPIRED, Ctx, action_arg, new_router
from handlers.staff import CANDIDATE
from handlers.start import DESCRIPTIONS
from storage.candidates import candidacy_summary
from storage.forgetting import forget_claims, forget_private_chat, forget_revoked_claims
from storage.roles import Roles, roles_of

router = new_router()

CONFIRM = "forget.confirm"
DELETED = N_(
    "Deleted: your language choice, where you were in our conversation and any unfinished report."
)
CANNOT = N_("What I cannot delete:")
REPORTS = N_(
    "• Reports: none is linked to whoever sent it, so I cannot find yours. A report's "
    "receipt still works with /status."
)
AUDIT = N_(
    "• The audit log: nothing of yours is in it. It names staff by their accounts, and "
    "anyone else only as a citizen or a candidate."
)
GROUP_NOTE = N_(
    "• This group's followed places: they are the group's, and /unsubscribe stops them. "
    "Send /forget to me in a private chat for the rest: that chat's followed places and a "
    "candidate's claim, if you have one."
)
CHAT_APP = N_("• The messages in this chat: the chat app keeps them, not me; delete them there.")


async def _names(ctx: Ctx, candidacy_ids: tuple[int, ...] | list[int]) -> str:
    names = []
    for candidacy_id in candidacy_ids:
        summary = await candidacy_summary(ctx.unit.session, candidacy_id)
        names.append(summary.name if summary else str(candidacy_id))
    return ("、" if ctx.language == "zh_CN" else ", ").join(names)


def _staff_line(ctx: Ctx, held: Roles) -> Text:
    role = ctx._("administrator") if held.is_admin else ctx._("moderator")
    return fmt(
        ctx._(
            "• Your role as {role}: only an administrator can remove it (/mods remove). The "
            "audit log names staff by their accounts and keeps every entry: deleting one would "
            "break its chain."
        ),
        role=role,
    )


@router.command("forget", description=DESCRIPTIONS["forget"], ends_flows=True)
async def forget_command(ctx: Ctx) -> Reply:
    ctx.forget_sender()
    ctx.state = IDLE
    chat, sender = ctx.event.chat, ctx.event.sender
    session = ctx.unit.session
    done: list[Text] = [plain(ctx._(DELETED))]
    cannot: list[Text] = [plain(ctx._(REPORTS))]
    if chat.private:
        gone = await forget_private_chat(session, chat.platform, chat.id)
        if gone.subscriptions:
            followed = ctx._(
                "Deleted: the places this chat followed ({count}), and with them this chat's id."
            )
            done.append(fmt(followed, count=str(gone.subscriptions)))
        if gone.waiting:
            waiting = ctx._("Deleted: the messages waiting for this chat ({count}).")
            done.append(fmt(waiting, count=str(gone.waiting)))
    else:
        cannot.append(plain(ctx._(GROUP_NOTE)))
    await forget_revoked_claims(session, sender.platform, sender.id)
    held = await roles_of(session, sender.platform, sender.id)
    if held.is_moderator:
        cannot.append(_staff_line(ctx, held))
    else:
        cannot.append(plain(ctx._(AUDIT)))
    if ctx.capabilities.reaches_later:  # the platform keeps its chats; the web forgets its own
        cannot.append(plain(ctx._(CHAT_APP)))
    lines = [*done, plain(ctx._(CANNOT)), *cannot]
    if not held.candidacy_ids or not chat.private:  # a group hears nothing of a claim
        return Reply.of(join(lines))
    # A claim is not given up unasked: getting it back needs a moderator and a new code.
    ctx.state = IDLE.privately(CONFIRM)
    ask = fmt(
        ctx._("Your account speaks for {name}. Give that up too? Only a moderator can give you "
              "a new claim code."),
        name=await _names(ctx, held.candidacy_ids),
    )  # fmt: skip
    buttons = [[Button(ctx._("Yes, give it up"), "forget:yes"),
                Button(ctx._("No, keep it"), "forget:no")]]  # fmt: skip
    return Reply.of(join([*lines, ask]), buttons)


@router.action("forget", step=CONFIRM)
async def claim_confirmed(ctx: Ctx) -> Reply:
    choice = action_arg(ctx)
    sender = ctx.event.sender
    held = await roles_of(ctx.unit.session, sender.platform, sender.id)
    ctx.state = IDLE
    if choice == "no":
        name = await _names(ctx, held.candidacy_ids)
        return Reply.of(fmt(ctx._("Kept: your account still speaks for {name}."), name=name))
    if choice != "yes":
        return Reply.of(ctx._(EXPIRED))
    ctx.forget_sender()
    candidacies = await forget_claims(ctx.unit.session, sender.platform, sender.id)
    for candidacy_id in candidacies:
        await auditing.record(ctx, CANDIDATE, "give_up_claim", "candidacy", candidacy_id)
    name = await _names(ctx, candidacies)
    return Reply.of(fmt(ctx._("Deleted: your account no longer speaks for {name}."), name=name))
