"""Who may moderate: the role check every moderator command and button runs, on every
call, and the admins' in-chat management of moderators (/mods)."""

from __future__ import annotations

from bot.core.i18n import N_
from bot.core.markup import fmt, join, plain
from bot.core.replies import Reply
from handlers.base import Ctx, command_args, new_router
from storage import audit
from storage.models import StaffRole
from storage.roles import Roles, add_staff, list_staff, remove_staff, roles_of

router = new_router()

NOT_ALLOWED = N_("Not allowed: this is for moderators.")
ADMINS_ONLY = N_("Not allowed: this is for administrators.")


def identity(ctx: Ctx) -> str:
    """A staff member as the audit log names them: "telegram:123"."""
    return f"{ctx.event.sender.platform}:{ctx.event.sender.id}"


def pseudonym(ctx: Ctx) -> str:
    """Someone who is not staff, as the audit log names them: never their raw id."""
    return f"user:{ctx.user[:16]}"


async def roles(ctx: Ctx) -> Roles:
    return await roles_of(ctx.unit.session, ctx.event.sender.platform, ctx.event.sender.id)


async def moderator(ctx: Ctx, what: str) -> str | None:
    """The caller's identity if they moderate now; otherwise audit the attempt, None."""
    if (await roles(ctx)).is_moderator:
        return identity(ctx)
    await audit.record(ctx.unit.session, pseudonym(ctx), "refused", "command", what)
    return None


async def admin(ctx: Ctx, what: str) -> str | None:
    if (await roles(ctx)).is_admin:
        return identity(ctx)
    actor = identity(ctx) if (await roles(ctx)).is_moderator else pseudonym(ctx)
    await audit.record(ctx.unit.session, actor, "refused", "command", what)
    return None


def parse_identity(text: str) -> tuple[str, str] | None:
    """ "telegram:123" or "matrix:@user:server" -> (platform, user id)."""
    platform, _, user_id = text.strip().partition(":")
    if not (platform.isascii() and platform.isalpha() and platform.islower()) or not user_id:
        return None
    return platform, user_id


@router.command("mods")
async def mods_command(ctx: Ctx) -> Reply:
    actor = await admin(ctx, "mods")
    if actor is None:
        return Reply.of(ctx._(ADMINS_ONLY))
    verb, _, rest = command_args(ctx).partition(" ")
    session = ctx.unit.session
    if verb == "list" or not verb:
        members = await list_staff(session)
        lines = [plain(ctx._("Staff:"))]
        lines += [plain(f"• {m.platform}:{m.user_id} ({m.role})") for m in members]
        return Reply.of(join(lines))
    who = parse_identity(rest)
    if verb not in ("add", "remove") or who is None:
        return Reply.of(
            ctx._("Use /mods list, /mods add telegram:<id> or /mods remove matrix:@user:server.")
        )
    if verb == "add":
        await add_staff(session, who[0], who[1], StaffRole.moderator)
    else:
        await remove_staff(session, who[0], who[1])
    await audit.record(session, actor, f"staff_{verb}", "staff", f"{who[0]}:{who[1]}")
    return Reply.of(fmt(ctx._("Done: {who}."), who=f"{who[0]}:{who[1]}"))
