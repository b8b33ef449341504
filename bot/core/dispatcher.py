"""Handles one event end to end: pseudonyms, lock, transaction, state, routing, sending."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from bot.core import redaction
from bot.core.capabilities import EVERYTHING, Capabilities
from bot.core.context import Context, Prep, as_list
from bot.core.ephemeral import DraftSlot, ForwardKeys, MemoryEphemeral
from bot.core.events import ButtonAction, Command, Event, PhotoMessage, TextMessage
from bot.core.i18n import N_, Catalogs, normalize_language
from bot.core.identity import Identity
from bot.core.inputs import MAX_TEXT_CHARS, text_problem
from bot.core.kept import Keeping, KeptReplies
from bot.core.limits import SLOW_DOWN, Limits, RateLimiter, Verdict
from bot.core.locks import KeyedLocks
from bot.core.markup import fmt
from bot.core.metrics import NO_METRICS, Metrics, Outcome
from bot.core.ports import Ephemeral, Scrub, Unit, UnitFactory
from bot.core.replies import Reply
from bot.core.router import Router
from bot.core.sealing import seal, unseal
from bot.core.state import ConversationState

log = logging.getLogger(__name__)

U = TypeVar("U", bound=Unit)
Send = Callable[[Reply], Awaitable[object]]

FAILED = N_("Sorry, something went wrong on my side. Nothing was saved; please try again.")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Dispatcher(Generic[U]):
    """Runs events through the router, one at a time per conversation.

    Everything a handler writes, the conversation state, the record that the event was
    handled and its replies (``bot.core.kept``) commit in one transaction; replies are
    sent after the commit, still under the conversation's lock so that they keep their
    order, and sent again if the process dies first and the event comes back.
    Across processes, the storage unit locks the conversation.

    A private flow (a report) never reaches the database: its draft is sealed in the
    ``Ephemeral`` store under keys that expire (``bot.core.ephemeral``), and the
    conversation's ordinary row is not written while one is in progress, nor by the
    event that ends it, so that nothing on disk is timed by a report.

    While an event is handled, its sender's ids and its text are kept out of
    every log line (``bot.core.redaction``).

    A handler that calls ``ctx.forget_sender`` (/forget) has the conversation's row,
    its draft and the sender's language deleted in the same transaction; replies sent
    before are forgotten and SQLite's write-ahead log folded in right after.
    """

    def __init__(
        self,
        router: Router[U],
        units: UnitFactory[U],
        identity: Identity,
        catalogs: Catalogs,
        state_ttl: timedelta = timedelta(hours=24),
        config: object = None,
        private_ttl: timedelta = timedelta(hours=1),
        clock: Callable[[], datetime] = utcnow,
        *,
        ephemeral: Ephemeral | None = None,
        limits: Limits | None = None,
        scrub: Scrub | None = None,
        max_transactions: int | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.router = router
        self._units = units
        self._identity = identity
        self._catalogs = catalogs
        self._state_ttl = state_ttl
        self._private_ttl = private_ttl
        self._config = config
        self._clock = clock
        self._locks = KeyedLocks()
        # SQLite has one writer: its transactions take turns here, while other events'
        # preparers (hashing, photos) run meanwhile, instead of waiting behind them.
        self._transactions = asyncio.Semaphore(max_transactions) if max_transactions else None
        self.ephemeral: Ephemeral = ephemeral or MemoryEphemeral()
        self._keys = ForwardKeys(self.ephemeral, period=private_ttl)
        self._limiter = RateLimiter(self.ephemeral, limits or Limits())
        self._scrub = scrub
        self.metrics: Metrics = metrics or NO_METRICS
        self._kept = KeptReplies(self.ephemeral, units, self._turn, private_ttl.total_seconds())
        #: What each platform's adapter declared it can do (``bot.app.App.sink_for``).
        self.capabilities: dict[str, Capabilities] = {}
        redaction.install()

    async def handle(self, event: Event, send: Send) -> None:
        started = time.perf_counter()
        conversation = self._identity.conversation_key(event.chat, event.sender)
        with redaction.protecting(*_sensitive(event)):
            async with self._locks.hold(conversation):
                replies, kept, outcome = await self._handle_locked(event, conversation)
                for reply in replies:
                    await send(reply)
                if kept is not None:
                    await self._kept.sent(kept)
        self.metrics.event_handled(
            event.chat.platform, type(event).__name__, outcome, time.perf_counter() - started
        )

    async def close(self) -> None:
        """Finish what is pending before the process stops."""
        await self._kept.close()

    async def _handle_locked(
        self, event: Event, conversation: str
    ) -> tuple[list[Reply], Keeping | None, Outcome]:
        user = self._identity.user_key(event.sender)
        language = self._catalogs.choose(normalize_language(event.language))
        now = self._clock()
        try:
            tag = await self._keys.sender_tag(event.sender, now)
            verdict = await self._limiter.check(tag, now)
            if verdict is not Verdict.ALLOW:
                slow = self._catalogs.gettext(language)(SLOW_DOWN)
                return ([Reply.of(slow)] if verdict is Verdict.WARN else []), None, Outcome.slowed
            slots = await self._keys.draft_slots(event.chat, event.sender, now)
            event_key = self._identity.event_key(event.chat.platform, event.event_id)
            seal_key = self._identity.reply_seal(event.chat, event.sender, event.event_id)
            keeping = Keeping(event_key, seal_key, tuple(slots))
            private, found = await self._load_private(slots)
            prepared = await self.router.prepare(
                Prep(event, private.step if private else None, self._config, tag, self.ephemeral)
            )
            async with self._turn(), self._units() as unit:
                stored = await unit.begin_event(
                    event=event_key,
                    conversation=conversation,
                    user=user,
                    state_ttl=self._state_ttl,
                )
                if stored is None:
                    # Handled before: send what that decided, if it never went out.
                    again, where = await self._kept.find(unit, keeping)
                    log.info("a redelivered %s: %d replies not sent before",
                             type(event).__name__, len(again))  # fmt: skip
                    return again, where, Outcome.redelivered
                language = self._catalogs.choose(stored.language, language)
                ordinary = ConversationState.from_json(stored.step, stored.data)
                state = private or ordinary
                ctx = Context(
                    event, user, language, unit, self._catalogs, self._config,
                    daily_sender=tag, previous=state, state=state,
                    ephemeral=self.ephemeral, prepared=prepared,
                    capabilities=self.capabilities.get(event.chat.platform, EVERYTHING),
                )  # fmt: skip
                replies = await self._route(ctx)
                if ctx.forgetting:
                    await unit.forget(conversation, user)
                else:
                    await self._save_ordinary(unit, conversation, ordinary, private, ctx.state)
                    if ctx.language_changed:
                        await unit.save_language(user, ctx.language)
                secret = ctx.sensitive or private is not None or ctx.state.private
                kept = await self._kept.keep(unit, keeping, replies, secret=secret)
            # Only once the transaction has committed: a rolled-back event leaves the
            # draft as it was.
            await self._save_private(slots, found, ctx.state)
            if ctx.forgetting:
                # Replies already sent go now rather than in a second, with the rest.
                await self._kept.forget_sent()
            ended = found is not None and not ctx.state.private
            if (ended or ctx.forgetting) and self._scrub is not None:
                await self._scrub()
            return replies, kept, Outcome.handled
        except Exception as exc:
            # The exception's message may quote user text; its type and frames may not.
            log.error("handling a %s failed: %s", type(event).__name__, type(exc).__name__)
            log.debug("traceback", exc_info=True)
            return [Reply.of(self._catalogs.gettext(language)(FAILED))], None, Outcome.failed

    def _turn(self) -> contextlib.AbstractAsyncContextManager[object]:
        return self._transactions or contextlib.nullcontext()

    async def _load_private(
        self, slots: list[DraftSlot]
    ) -> tuple[ConversationState | None, DraftSlot | None]:
        """The private flow in progress, and the slot it was found in."""
        for slot in slots:
            sealed = await self.ephemeral.get(slot.key)
            if sealed is None:
                continue
            stored = unseal(slot.seal, sealed.decode())
            if isinstance(stored, dict):
                return ConversationState.from_json(stored.get("step"), stored, private=True), slot
        return None, None

    async def _save_private(
        self, slots: list[DraftSlot], found: DraftSlot | None, new: ConversationState
    ) -> None:
        if new.private:
            current = slots[0]
            sealed = seal(current.seal, {"step": new.step, **new.to_json()})
            await self.ephemeral.put(
                current.key, sealed.encode(), self._private_ttl.total_seconds()
            )
        if found is not None and (not new.private or found.key != slots[0].key):
            await self.ephemeral.delete(found.key)

    async def _save_ordinary(
        self,
        unit: U,
        conversation: str,
        ordinary: ConversationState,
        private: ConversationState | None,
        new: ConversationState,
    ) -> None:
        """Write the ordinary row only when an ordinary flow changed it: never during a
        private flow, and at its end only if a command began an ordinary flow."""
        if new.private or (private is not None and new.step is None):
            return
        if new != ordinary:
            stored = {} if new.idle else new.to_json()
            await unit.save_conversation(conversation, new.step, stored)

    async def _route(self, ctx: Context[U]) -> list[Reply]:
        problem = _input_problem(ctx.event)
        if problem is not None:
            return [Reply.of(fmt(ctx._(problem), limit=str(MAX_TEXT_CHARS)))]
        handler = self.router.resolve(ctx)
        if handler is None:
            return []
        return as_list(await handler(ctx))


def _sensitive(event: Event) -> list[str | None]:
    values: list[str | None] = [event.sender.id, event.chat.id]
    if isinstance(event, TextMessage):
        values.append(event.text)
    elif isinstance(event, Command):
        values.append(event.args)
    elif isinstance(event, PhotoMessage):
        values.append(event.caption)
    return values


def _input_problem(event: Event) -> str | None:
    if isinstance(event, TextMessage):
        return text_problem(event.text, undecodable=event.undecodable)
    if isinstance(event, Command):
        return text_problem(f"/{event.name} {event.args}")
    if isinstance(event, ButtonAction):
        return text_problem(event.payload)
    if isinstance(event, PhotoMessage) and event.caption:
        return text_problem(event.caption)
    return None
