"""Who may moderate, and where: the role and place check every moderator command and
button runs, on every call, and the admins' in-chat management of moderators (/mods)."""

from __future__ import annotations

from enum import StrEnum

from bot.core.i18n import N_
from bot.core.markup import fmt, join, plain
from bot.core.replies import Reply
from handlers import auditing
from handlers.base import Ctx, command_args, new_router
from handlers.policy import policy
from storage.models import StaffRole
from storage.roles import (
    Roles,
    add_staff,
    list_staff,
    remember_staff_chat,
    remove_staff,
    roles_of,
)

router = new_router()

NOT_ALLOWED = N_("Not allowed: this is for moderators.")
ADMINS_ONLY = N_("Not allowed: this is for administrators.")
WRONG_CHAT = N_(
    "Moderator commands work only in a private chat with the bot or in the moderators' room."
)
PRIVATE_ONLY = N_("Reports are shown only in a private chat with the bot: send /queue there.")
NOT_A_VOLUNTEER = N_(
    "Not allowed: candidate lists are entered by volunteers and moderators. Ask the "
    "moderators for the volunteer role."
)
LISTS_PRIVATE = N_(
    "Candidate lists are entered in a private chat with the bot: write to me directly."
)
ADMINS_PRIVATE = N_(
    "Administrators' commands work only in a private chat with the bot: they show staff "
    "accounts, which others in the room must not see."
)
NOT_ON_THIS_PLATFORM = N_(
    "Moderation is not done from the web chat: moderators use Matrix or Telegram, where "
    "their accounts are their own."
)

#: How the audit log names anyone refused who is not staff. Not a pseudonym: that is
#: the key of their language preference, and with the entry's time it would say who
#: tried what, when, for as long as the log is kept.
CITIZEN = "citizen"
#: How the audit log names a candidate's account: the entry's target is the candidacy,
#: and the account behind it goes with /forget, so no entry may name it.
CANDIDATE = "candidate"


class Place(StrEnum):
    private = "private"
    room = "room"


def identity(ctx: Ctx) -> str:
    """A staff member as the audit log names them: "telegram:123"."""
    return f"{ctx.event.sender.platform}:{ctx.event.sender.id}"


def place(ctx: Ctx) -> Place | None:
    """Where moderation may happen: a private chat with the bot, or the configured
    moderators' room. Anyone can add the bot to a group; a group is neither."""
    chat = ctx.event.chat
    if chat.private:
        return Place.private
    if policy(ctx).moderation_room == (chat.platform, chat.id):
        return Place.room
    return None


async def roles(ctx: Ctx) -> Roles:
    return await roles_of(ctx.unit.session, ctx.event.sender.platform, ctx.event.sender.id)


async def _refuse(ctx: Ctx, actor: str, what: str, message: str, **detail: str) -> Reply:
    await auditing.record(ctx, actor, "refused", "command", what, **detail)
    return Reply.of(ctx._(message))


async def _not_here(ctx: Ctx, what: str) -> Reply:
    """The refusal on a platform that moderates nothing; no role is looked up, since
    nobody's account there is anybody's for long."""
    return await _refuse(ctx, CITIZEN, what, NOT_ON_THIS_PLATFORM, platform=ctx.event.chat.platform)


async def _here(ctx: Ctx, what: str, reports: bool) -> str | Reply:
    where = place(ctx)
    if where is None:  # the group's id stays out of the log: it may say whose group
        return await _refuse(ctx, identity(ctx), what, WRONG_CHAT, chat="other")
    if reports and where is not Place.private:
        return await _refuse(ctx, identity(ctx), what, PRIVATE_ONLY, chat="room")
    if where is Place.private:  # where an escalation can reach an administrator
        sender = ctx.event.sender
        await remember_staff_chat(ctx.unit.session, sender.platform, sender.id, ctx.event.chat.id)
    return identity(ctx)


async def moderator(ctx: Ctx, what: str, *, reports: bool = False) -> str | Reply:
    """The caller's identity if they moderate now and here; otherwise the refusal to
    send, already audited. ``reports``: the call shows or acts on a decrypted report,
    which only a private chat may receive (a room has members the report never chose).
    A platform whose accounts do not last (the web chat) moderates nothing, whoever asks."""
    if not ctx.capabilities.moderation:
        return await _not_here(ctx, what)
    held = await roles(ctx)
    if not held.is_moderator:
        # A volunteer is staff, named as such; anyone else is a citizen, never named.
        return await _refuse(ctx, identity(ctx) if held.enters_lists else CITIZEN, what,
                             NOT_ALLOWED)  # fmt: skip
    return await _here(ctx, what, reports)


async def enterer(ctx: Ctx, what: str) -> str | Reply:
    """The caller's identity if they may propose changes to the candidate lists (a
    volunteer, moderator or admin) and this is a private chat with the bot; otherwise
    the refusal to send, already audited. Checked on every command, step and button."""
    if not ctx.capabilities.moderation:
        return await _not_here(ctx, what)
    if not (await roles(ctx)).enters_lists:
        return await _refuse(ctx, CITIZEN, what, NOT_A_VOLUNTEER)
    if not ctx.event.chat.private:
        return await _refuse(ctx, identity(ctx), what, LISTS_PRIVATE, chat="other")
    return identity(ctx)


async def admin(ctx: Ctx, what: str) -> str | Reply:
    if not ctx.capabilities.moderation:
        return await _not_here(ctx, what)
    held = await roles(ctx)
    if not held.is_admin:
        return await _refuse(ctx, identity(ctx) if held.is_moderator else CITIZEN, what,
                             ADMINS_ONLY)  # fmt: skip
    if place(ctx) is Place.room:  # staff accounts, to members the bot never chose
        return await _refuse(ctx, identity(ctx), what, ADMINS_PRIVATE, chat="room")
    return await _here(ctx, what, reports=False)


def parse_identity(text: str) -> tuple[str, str] | None:
    """ "telegram:123" or "matrix:@user:server" -> (platform, user id)."""
    platform, _, user_id = text.strip().partition(":")
    if not (platform.isascii() and platform.isalpha() and platform.islower()) or not user_id:
        return None
    return platform, user_id


@router.command("mods")
async def mods_command(ctx: Ctx) -> Reply:
    actor = await admin(ctx, "mods")
    if isinstance(actor, Reply):
        return actor
    verb, _, rest = command_args(ctx).partition(" ")
    session = ctx.unit.session
    if verb == "list" or not verb:
        members = await list_staff(session)
        lines = [plain(ctx._("Staff:"))]
        lines += [plain(f"• {m.platform}:{m.user_id} ({m.role})") for m in members]
        return Reply.of(join(lines))
    who = parse_identity(rest)
    if verb not in ("add", "volunteer", "remove") or who is None:
        return Reply.of(
            ctx._(
                "Use /mods list, /mods add telegram:<id> (a moderator), /mods volunteer "
                "telegram:<id> (enters candidate lists) or /mods remove matrix:@user:server."
            )
        )
    if verb == "remove":
        await remove_staff(session, who[0], who[1])
    else:
        role = StaffRole.moderator if verb == "add" else StaffRole.volunteer
        await add_staff(session, who[0], who[1], role)
    await auditing.record(ctx, actor, f"staff_{verb}", "staff", f"{who[0]}:{who[1]}")
    return Reply.of(fmt(ctx._("Done: {who}."), who=f"{who[0]}:{who[1]}"))
