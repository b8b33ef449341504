"""Writing the audit log from a handler: under the deployment's audit key, in the event's
transaction (an action and its audit entry commit together, or neither does)."""

from __future__ import annotations

from typing import Any

from handlers.base import Ctx
from handlers.policy import policy
from storage import audit


async def record(
    ctx: Ctx, actor: str, action: str, target_type: str = "", target_id: str | int = "",
    **detail: Any,
) -> None:  # fmt: skip
    await audit.record(
        ctx.unit.session, policy(ctx).audit_key, actor, action, target_type, target_id, **detail
    )
