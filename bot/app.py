"""The composition root: wires storage, handlers and adapters around the core."""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.base import Adapter, EventSink
from bot.config import Settings
from bot.core.dispatcher import Dispatcher, utcnow
from bot.core.ephemeral import MemoryEphemeral
from bot.core.events import ButtonAction, Event
from bot.core.i18n import Catalogs
from bot.core.identity import Identity
from bot.core.limits import Limits
from bot.core.metrics import Metrics
from bot.core.pacing import LocalBudget
from bot.core.ports import CursorStore, Ephemeral, RateBudget
from bot.core.replies import Reply
from handlers import build_router
from handlers.policy import Policy, ReportSetup
from handlers.policy import now as policy_now
from storage.audit import AuditKey
from storage.crypto import ModeratorKeys, read_key_file
from storage.cursors import Cursors
from storage.db import make_engine, scrub, upgrade
from storage.ephemeral_redis import connect as connect_redis
from storage.receipts import ReceiptHasher
from storage.reports import Caps
from storage.retention import Retention
from storage.unit import StoreUnit, unit_factory

DEFAULT_LIMITS = Limits()


def local_budget(scope: str) -> RateBudget:
    return LocalBudget()


@dataclass
class App:
    engine: AsyncEngine
    dispatcher: Dispatcher[StoreUnit]
    #: Makes the rate budget of a scope (a bot token's hash): shared by every worker
    #: (Redis) or this process's own.
    budgets: Callable[[str], RateBudget] = local_budget
    _budgets: dict[str, RateBudget] = field(default_factory=dict, init=False, repr=False)

    def rate_budget(self, scope: str) -> RateBudget:
        """Where an adapter takes its turns to send (``bot.core.pacing``), one per scope."""
        if scope not in self._budgets:
            self._budgets[scope] = self.budgets(scope)
        return self._budgets[scope]

    @property
    def ephemeral(self) -> Ephemeral:
        """Where values that must never reach a disk live (drafts, counters, web sessions)."""
        return self.dispatcher.ephemeral

    @property
    def cursors(self) -> CursorStore:
        """Where adapters keep their place in their platform's stream."""
        return Cursors(self.engine)

    def command_menu(self, language: str) -> list[tuple[str, str]]:
        """The /help commands this bot has, described in ``language``, for platform menus."""
        from handlers.start import HELP

        _ = Catalogs().gettext(language)
        known = set(self.dispatcher.router.command_names)
        return [(name, _(description)) for name, description in HELP if name in known]

    def sink_for(self, adapter: Adapter) -> EventSink:
        """Where ``adapter`` delivers: handle the event, send replies, acknowledge buttons.
        The adapter's capabilities reach the handlers of its events."""
        self.dispatcher.capabilities[adapter.platform] = adapter.capabilities

        async def sink(event: Event) -> None:
            async def send(reply: Reply) -> None:
                await adapter.send(event.chat, reply)

            await self.dispatcher.handle(event, send)
            if isinstance(event, ButtonAction):
                await adapter.acknowledge(event)

        return sink

    async def close(self) -> None:
        await self.dispatcher.close()
        await self.engine.dispose()
        for budget in self._budgets.values():
            await budget.close()
        closing = getattr(self.dispatcher.ephemeral, "close", None)
        if closing is not None:
            await closing()


def receipt_salt(identity_key: bytes) -> bytes:
    """The deployment-wide secret salt of receipt hashes, kept out of the database by
    deriving it from the identity key."""
    return hmac.new(identity_key, b"receipt-salt", hashlib.sha256).digest()[:16]


def report_setup(
    settings: Settings, identity_key: bytes, keys: ModeratorKeys | None
) -> ReportSetup:
    return ReportSetup(
        keys=keys,
        hasher=ReceiptHasher(
            receipt_salt(identity_key),
            time_cost=settings.receipt_time_cost,
            memory_kib=settings.receipt_memory_kib,
        ),
        caps=Caps(
            per_hour=settings.reports_per_hour,
            per_day=settings.reports_per_day,
            global_per_day=settings.reports_per_day_globally,
        ),
    )


def load_report_keys(settings: Settings) -> ModeratorKeys | None:
    """The moderators' keys from their file, or None when there is no file yet."""
    if not settings.report_key_file.exists():
        return None
    passphrase = settings.report_key_passphrase
    return read_key_file(
        settings.report_key_file, passphrase.get_secret_value() if passphrase else None
    )


def moderation_room(settings: Settings) -> tuple[str, str] | None:
    """ "telegram:-1001234" -> ("telegram", "-1001234"); "matrix:!abc:server" likewise."""
    if not settings.moderation_room:
        return None
    platform, _, chat_id = settings.moderation_room.partition(":")
    if not platform or not chat_id:
        raise ValueError("CANDIBOT_MODERATION_ROOM must look like telegram:<chat id>")
    return platform, chat_id


def retention(settings: Settings) -> Retention:
    return Retention(
        closed_reports=timedelta(days=settings.closed_report_days),
        receipts=timedelta(days=settings.receipt_days),
        conversations=timedelta(hours=settings.state_ttl_hours),
    )


async def build_app(
    database_url: str,
    identity_key: bytes,
    *,
    default_language: str = "zh_CN",
    state_ttl: timedelta = timedelta(hours=24),
    migrate: bool = True,
    policy: Policy | None = None,
    ephemeral: Ephemeral | None = None,
    limits: Limits | None = None,
    clock: Callable[[], datetime] | None = None,
    metrics: Metrics | None = None,
) -> App:
    """The bot on ``database_url``. Without ``ephemeral``, drafts, counters and their
    secrets live in this process's memory (one worker); without ``metrics`` nothing is
    counted."""
    engine = make_engine(database_url)
    if migrate:
        await upgrade(engine)

    async def scrub_files() -> None:
        await scrub(engine)

    dispatcher = Dispatcher(
        build_router(),
        unit_factory(engine),
        Identity(identity_key),
        Catalogs(default=default_language),
        state_ttl=state_ttl,
        config=policy or Policy(),
        ephemeral=ephemeral or MemoryEphemeral(),
        limits=limits or DEFAULT_LIMITS,
        scrub=scrub_files,
        max_transactions=1 if engine.dialect.name == "sqlite" else None,
        clock=clock or utcnow,
        metrics=metrics,
    )
    return App(engine, dispatcher)


async def app_from_settings(
    settings: Settings,
    identity_key: bytes,
    keys: ModeratorKeys | None,
    *,
    database_url: str | None = None,
    audit_key: AuditKey | None = None,
    clock: Callable[[], datetime] | None = None,
    metrics: Metrics | None = None,
) -> App:
    """The bot as the settings describe it (``database_url`` overrides theirs). Without
    ``audit_key`` (the throwaway demo) the audit log is keyed for this process only, and
    /audit reads no checkpoint. ``clock`` fixes the handlers' "now" (the demo's --today)."""
    ephemeral = await connect_redis(settings.ephemeral_url) if settings.ephemeral_url else None
    app = await build_app(
        database_url or settings.database_url,
        identity_key,
        default_language=settings.default_language,
        state_ttl=timedelta(hours=settings.state_ttl_hours),
        policy=Policy(
            quiet_on_election_day=settings.quiet_on_election_day,
            reports=report_setup(settings, identity_key, keys),
            publish_approvals=settings.publish_approvals,
            claim_code_hours=settings.claim_code_hours,
            moderation_room=moderation_room(settings),
            subscriptions_per_chat=settings.subscriptions_per_chat,
            audit_key=audit_key or AuditKey.ephemeral(),
            audit_checkpoint=settings.audit_checkpoint_file if audit_key else None,
            clock=clock or policy_now,
        ),
        ephemeral=ephemeral,
        limits=Limits(burst=settings.rate_burst, per_minute=settings.rate_per_minute),
        metrics=metrics,
    )
    shared = settings.rate_budget_url or settings.ephemeral_url
    if shared:
        from storage.rate_budget_redis import connect as redis_budget

        app.budgets = functools.partial(redis_budget, shared)
    return app
