"""Handles one event end to end: pseudonyms, lock, transaction, state, routing, sending."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Generic, TypeVar

from bot.core.context import Context, as_list
from bot.core.events import ButtonAction, Command, Event, TextMessage
from bot.core.i18n import N_, Catalogs, normalize_language
from bot.core.identity import Identity
from bot.core.inputs import MAX_TEXT_CHARS, text_problem
from bot.core.locks import KeyedLocks
from bot.core.markup import fmt
from bot.core.ports import Unit, UnitFactory
from bot.core.replies import Reply
from bot.core.router import Router
from bot.core.state import ConversationState

log = logging.getLogger(__name__)

U = TypeVar("U", bound=Unit)
Send = Callable[[Reply], Awaitable[object]]

FAILED = N_("Sorry, something went wrong on my side. Nothing was saved; please try again.")


class Dispatcher(Generic[U]):
    """Runs events through the router, one at a time per conversation.

    Everything a handler writes, the conversation state and the record that the
    event was handled commit in one transaction; replies are sent after the
    commit, still under the conversation's lock so that they keep their order.
    Across processes, the storage unit locks the conversation's row.
    """

    def __init__(
        self,
        router: Router[U],
        units: UnitFactory[U],
        identity: Identity,
        catalogs: Catalogs,
        state_ttl: timedelta = timedelta(hours=24),
        config: object = None,
    ) -> None:
        self.router = router
        self._units = units
        self._identity = identity
        self._catalogs = catalogs
        self._state_ttl = state_ttl
        self._config = config
        self._locks = KeyedLocks()

    async def handle(self, event: Event, send: Send) -> None:
        conversation = self._identity.conversation_key(event.chat, event.sender)
        async with self._locks.hold(conversation):
            replies = await self._handle_locked(event, conversation)
            for reply in replies:
                await send(reply)

    async def _handle_locked(self, event: Event, conversation: str) -> list[Reply]:
        user = self._identity.user_key(event.sender)
        language = self._catalogs.choose(normalize_language(event.language))
        try:
            async with self._units() as unit:
                event_key = self._identity.event_key(event.chat.platform, event.event_id)
                if not await unit.claim_event(event_key):
                    log.info("skipped a redelivered %s", type(event).__name__)
                    return []
                language = self._catalogs.choose(await unit.load_language(user), language)
                step, data = await unit.load_conversation(conversation, self._state_ttl)
                state = ConversationState.from_json(step, data)
                ctx = Context(
                    event, user, language, unit, self._catalogs, self._config, state, state
                )
                replies = await self._route(ctx)
                if ctx.state != state:
                    stored = {} if ctx.state.idle else ctx.state.to_json()
                    await unit.save_conversation(conversation, ctx.state.step, stored)
                if ctx.language_changed:
                    await unit.save_language(user, ctx.language)
                return replies
        except Exception as exc:
            # The exception's message may quote user text; its type and frames may not.
            log.error("handling a %s failed: %s", type(event).__name__, type(exc).__name__)
            log.debug("traceback", exc_info=True)
            return [Reply.of(self._catalogs.gettext(language)(FAILED))]

    async def _route(self, ctx: Context[U]) -> list[Reply]:
        problem = _input_problem(ctx.event)
        if problem is not None:
            return [Reply.of(fmt(ctx._(problem), limit=str(MAX_TEXT_CHARS)))]
        handler = self.router.resolve(ctx)
        if handler is None:
            return []
        return as_list(await handler(ctx))


def _input_problem(event: Event) -> str | None:
    if isinstance(event, TextMessage):
        return text_problem(event.text, undecodable=event.undecodable)
    if isinstance(event, Command):
        return text_problem(f"/{event.name} {event.args}")
    if isinstance(event, ButtonAction):
        return text_problem(event.payload)
    return None
