"""Handles one event end to end: pseudonyms, lock, transaction, state, routing, sending."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Generic, TypeVar

from bot.core import redaction
from bot.core.context import Context, as_list
from bot.core.events import ButtonAction, Command, Event, PhotoMessage, TextMessage
from bot.core.i18n import N_, Catalogs, normalize_language
from bot.core.identity import Identity
from bot.core.inputs import MAX_TEXT_CHARS, text_problem
from bot.core.locks import KeyedLocks
from bot.core.markup import fmt
from bot.core.ports import Unit, UnitFactory
from bot.core.replies import Reply
from bot.core.router import Router
from bot.core.sealing import seal, unseal
from bot.core.state import ConversationState

log = logging.getLogger(__name__)

U = TypeVar("U", bound=Unit)
Send = Callable[[Reply], Awaitable[object]]

FAILED = N_("Sorry, something went wrong on my side. Nothing was saved; please try again.")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Dispatcher(Generic[U]):
    """Runs events through the router, one at a time per conversation.

    Everything a handler writes, the conversation state and the record that the
    event was handled commit in one transaction; replies are sent after the
    commit, still under the conversation's lock so that they keep their order.
    Across processes, the storage unit locks the conversation.

    While an event is handled, its sender's ids and its text are kept out of
    every log line (``bot.core.redaction``).
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
        clock: Callable[[], datetime] = _utcnow,
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
        redaction.install()

    async def handle(self, event: Event, send: Send) -> None:
        conversation = self._identity.conversation_key(event.chat, event.sender)
        with redaction.protecting(*_sensitive(event)):
            async with self._locks.hold(conversation):
                replies = await self._handle_locked(event, conversation)
                for reply in replies:
                    await send(reply)

    async def _handle_locked(self, event: Event, conversation: str) -> list[Reply]:
        user = self._identity.user_key(event.sender)
        language = self._catalogs.choose(normalize_language(event.language))
        today = self._clock().astimezone(UTC).date()
        try:
            async with self._units() as unit:
                # The private flow begun today or (across midnight) yesterday.
                days = {
                    self._identity.private_conversation_key(event.chat, event.sender, day): day
                    for day in (today, today - timedelta(days=1))
                }
                stored = await unit.begin_event(
                    event=self._identity.event_key(event.chat.platform, event.event_id),
                    conversation=conversation,
                    user=user,
                    private=list(days),
                    state_ttl=self._state_ttl,
                    private_ttl=self._private_ttl,
                )
                if stored is None:
                    log.info("skipped a redelivered %s", type(event).__name__)
                    return []
                language = self._catalogs.choose(stored.language, language)
                ordinary = ConversationState.from_json(stored.step, stored.data)
                private, private_key = self._unseal(stored.private, days)
                state = private or ordinary
                ctx = Context(
                    event, user, language, unit, self._catalogs, self._config,
                    self._identity.daily_sender_key(event.sender, today), state, state,
                )  # fmt: skip
                replies = await self._route(ctx)
                await self._save(unit, event, conversation, ordinary, private_key, ctx.state, today)
                if ctx.language_changed:
                    await unit.save_language(user, ctx.language)
                return replies
        except Exception as exc:
            # The exception's message may quote user text; its type and frames may not.
            log.error("handling a %s failed: %s", type(event).__name__, type(exc).__name__)
            log.debug("traceback", exc_info=True)
            return [Reply.of(self._catalogs.gettext(language)(FAILED))]

    def _unseal(
        self, found: tuple[str, str] | None, days: dict[str, date]
    ) -> tuple[ConversationState | None, str | None]:
        if found is None:
            return None, None
        key, sealed = found
        stored = unseal(self._identity.sealing_key(days[key]), sealed)
        if not isinstance(stored, dict):
            return None, None
        return ConversationState.from_json(stored.get("step"), stored, private=True), key

    async def _save(
        self,
        unit: U,
        event: Event,
        conversation: str,
        ordinary: ConversationState,
        private_key: str | None,
        new: ConversationState,
        today: date,
    ) -> None:
        if new.private:
            key = self._identity.private_conversation_key(event.chat, event.sender, today)
            sealed = seal(self._identity.sealing_key(today), {"step": new.step, **new.to_json()})
            await unit.save_private(key, sealed)
            if private_key not in (None, key):
                await unit.save_private(private_key, None)
            # An ordinary flow the private one interrupted is over.
            new = ordinary.fresh()
        elif private_key is not None:
            await unit.save_private(private_key, None)
        # The ordinary record is written only when it changes, so that a private
        # flow leaves no fresh timestamp on it.
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
