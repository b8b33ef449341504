"""What every handler module shares: the context type and a router of the right type."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.events import ButtonAction, Command, TextMessage
from bot.core.i18n import N_
from bot.core.router import Router
from storage.unit import StoreUnit

Ctx = Context[StoreUnit]

EXPIRED = N_("That button has expired. Type /start to begin again.")


def new_router() -> Router[StoreUnit]:
    return Router()


def action_arg(ctx: Ctx) -> str:
    """What follows ``prefix:`` in a button payload."""
    event = ctx.event
    return event.payload.partition(":")[2] if isinstance(event, ButtonAction) else ""


def command_args(ctx: Ctx) -> str:
    event = ctx.event
    return event.args if isinstance(event, Command) else ""


def message_text(ctx: Ctx) -> str:
    event = ctx.event
    return event.text.strip() if isinstance(event, TextMessage) else ""


def pressing(ctx: Ctx, payload: str) -> Ctx:
    """``ctx`` as if the button ``payload`` had been pressed: a typed answer that names a
    button is that button's press."""
    event = ctx.event
    ctx.event = ButtonAction(
        chat=event.chat, sender=event.sender, language=event.language,
        event_id=event.event_id, payload=payload,
    )  # fmt: skip
    return ctx


#: The largest id or offset a user may name: what a 32-bit database integer holds.
MAX_NUMBER = 2**31 - 1


def number(text: str) -> int | None:
    """``text`` as an id or an offset, or None. Decimal digits only: "²" and "①" pass
    ``str.isdigit`` but not ``int``; and no larger than the database's integers, which
    a longer number would overflow (an error rather than "no such candidate")."""
    if not text.isdecimal() or len(text) > len(str(MAX_NUMBER)):
        return None
    value = int(text)
    return value if value <= MAX_NUMBER else None


def leave_step(ctx: Ctx, step: str) -> None:
    """A button answered the question asked at ``step``: what is typed next is new."""
    if ctx.state.step == step:
        ctx.state = ctx.state.at(None)
