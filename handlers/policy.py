"""Settings the handlers follow, handed to them through the core as ``ctx.config``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.context import Context, Prep
from bot.core.i18n import N_
from storage.audit import AuditKey
from storage.crypto import ModeratorKeys
from storage.receipts import ReceiptHasher
from storage.reports import Caps


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ReportSetup:
    """What incident reports need; without keys the bot says reports are not set up."""

    keys: ModeratorKeys | None = None
    hasher: ReceiptHasher | None = None
    caps: Caps = field(default_factory=Caps)


@dataclass(frozen=True, slots=True)
class Policy:
    #: Withhold platforms and updates on election day (Election Law Art. 34).
    quiet_on_election_day: bool = True
    #: Election days are calendar days in China.
    timezone: str = "Asia/Shanghai"
    clock: Callable[[], datetime] = now
    reports: ReportSetup = field(default_factory=ReportSetup)
    #: Different moderators who must approve a report's summary before it is public.
    publish_approvals: int = 2
    claim_code_hours: int = 48
    #: (platform, chat id) of the moderators' room, where new items are announced.
    moderation_room: tuple[str, str] | None = None
    #: Places one chat may follow (/subscribe).
    subscriptions_per_chat: int = 20
    #: The audit log's key; without one from the composition root, a key for this
    #: process only, so that an unconfigured bot's chain verifies nowhere, loudly.
    audit_key: AuditKey = field(default_factory=AuditKey.ephemeral)
    #: The signed checkpoint /audit compares the chain with, if the deployment keeps one.
    audit_checkpoint: Path | None = None

    def today(self) -> date:
        return self.clock().astimezone(ZoneInfo(self.timezone)).date()

    def quiet(self, election_day: date | None) -> bool:
        """Whether candidates are withheld today for an election held on ``election_day``:
        all introduction of candidates stops on election day (Art. 34)."""
        return self.quiet_on_election_day and election_day == self.today()


DEFAULT_POLICY = Policy()

QUIET_NOTE = N_(
    "Today is election day here. By law all introduction of candidates stops on election "
    "day (Election Law Art. 34), so platforms and updates are not shown today."
)


def policy(ctx: Context[Any] | Prep) -> Policy:
    return ctx.config if isinstance(ctx.config, Policy) else DEFAULT_POLICY
