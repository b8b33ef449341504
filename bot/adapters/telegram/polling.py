"""Long polling that loses nothing: getUpdates from the lowest update not yet handled.

Telegram forgets updates below the offset a getUpdates call names, so the loop
always names the lowest update still in hand (``Watermark``) and stores it in the
database now and then; updates fetched again while in hand are recognised by
their id and skipped before python-telegram-bot parses them. A kill at any moment
therefore leaves every unhandled update with Telegram, and the core's
processed-event record turns the redelivery of a handled one into a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.adapters.telegram.flood import retry_after_seconds
from bot.adapters.telegram.incoming import ALLOWED_UPDATES
from bot.adapters.telegram.offsets import Watermark

log = logging.getLogger(__name__)

#: Telegram's most updates per getUpdates call.
LIMIT = 100
#: Fetch again once a fetch would return fewer than this many updates fetched before: it
#: returns every update from the offset (the oldest one in hand) on, handled or not, and
#: only what fits after them in ``LIMIT`` is new. (Counting the updates in hand instead
#: made the bot fetch nine times as often as PTB, mostly updates it had already: one
#: chat with a queue kept the offset back while the others' updates were handled.)
LOW_WATER = LIMIT // 2
#: While updates are in hand, wait for some to finish before fetching again, but no
#: longer than this (doubling from FIRST_WAIT while nothing changes), so that other
#: chats' new updates are fetched while one chat waits out a 429.
FIRST_WAIT, MAX_WAIT = 0.05, 0.25
#: Store the offset at most this often (and at the end): a lagging offset only means
#: redeliveries, which the processed-event record turns into no-ops.
SAVE_EVERY = 1.0

#: Hands an update over for handling; the callback is called once it was handled.
Submit = Callable[[Update, Callable[[], None]], None]


class Poller:
    def __init__(
        self,
        bot: Bot,
        submit: Submit,
        *,
        load: Callable[[], Awaitable[str | None]],
        store: Callable[[str], Awaitable[None]],
        timeout: int,
    ) -> None:
        self._bot, self._submit = bot, submit
        self._load, self._store = load, store
        self._timeout = timeout
        self._progress = asyncio.Event()
        self._mark = Watermark(None)
        self._saved: int | None = None
        self._saved_at = 0.0
        #: The last getUpdates worked (``/healthz``).
        self.healthy = False

    async def run(self, stopping: asyncio.Event) -> None:
        """Fetch and hand over updates until ``stopping`` is set."""
        stored = await self._load()
        self._mark = mark = Watermark(int(stored) if stored else None)
        self._saved = mark.offset
        backoff = 0.0
        fresh = False
        wait = FIRST_WAIT
        while not stopping.is_set():
            changed = await self._wait_for_room(fresh, wait, stopping)
            wait = FIRST_WAIT if changed else min(wait * 2, MAX_WAIT)
            if stopping.is_set():
                break
            self._progress.clear()
            if time.monotonic() - self._saved_at >= SAVE_EVERY:
                await self.save()
            try:
                raw = await _first(self._fetch(mark), stopping.wait())
            except InvalidToken:
                raise PollingError("the Bot API server refused the token") from None
            except (RetryAfter, Conflict, NetworkError) as exc:
                self.healthy = False
                backoff = _pause_after(exc, backoff)
                await _first(stopping.wait(), timeout=backoff)
                continue
            backoff = 0.0
            self.healthy = True
            if not isinstance(raw, list):
                break  # stopping
            fresh = False
            for data in raw:
                update_id = data.get("update_id") if isinstance(data, dict) else None
                if not isinstance(update_id, int) or not mark.is_new(update_id):
                    continue
                mark.begin(update_id)
                fresh = True
                try:
                    update = Update.de_json(data, self._bot)
                except Exception as exc:  # an update this PTB cannot read: skip, not crash
                    log.error("an update could not be read: %s", type(exc).__name__)
                    mark.done(update_id)
                    continue
                self._submit(update, self._finisher(update_id))

    async def _wait_for_room(self, fresh: bool, wait: float, stopping: asyncio.Event) -> bool:
        """While updates are in hand a fetch returns them again at once, and the ones
        after them up to the newest fetched: wait until enough of those finished that a
        fetch brings mostly new ones, at most ``wait`` seconds. False if nothing changed
        meanwhile."""
        deadline = time.monotonic() + wait
        while self._mark.busy and not stopping.is_set():
            if self._mark.span < LOW_WATER and (fresh or self._progress.is_set()):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self._mark.span >= LOW_WATER:
                self._progress.clear()
            await _first(self._progress.wait(), stopping.wait(), timeout=remaining)
        return True

    async def _fetch(self, mark: Watermark) -> Any:
        """Raw updates from the offset on: the ones already in hand are not parsed again."""
        timeout = 0 if mark.busy else self._timeout
        read_timeout = (self._bot.request.read_timeout or 0) + timeout
        return await self._bot.do_api_request(
            "get_updates",
            api_kwargs={
                "offset": mark.offset,
                "limit": LIMIT,
                "timeout": timeout,
                "allowed_updates": list(ALLOWED_UPDATES),
            },
            read_timeout=read_timeout,
        )

    def _finisher(self, update_id: int) -> Callable[[], None]:
        def finished() -> None:
            self._mark.done(update_id)
            self._progress.set()

        return finished

    async def save(self) -> None:
        """Store the offset if it moved: every update below it has been handled."""
        offset = self._mark.offset
        self._saved_at = time.monotonic()
        if offset is None or offset == self._saved:
            return
        try:
            await self._store(str(offset))
        except Exception as exc:  # the processed-event record still prevents doubles
            log.error("storing the Telegram offset failed: %s", type(exc).__name__)
            return
        self._saved = offset


class PollingError(RuntimeError):
    """Polling cannot go on (the token was refused)."""


def _pause_after(exc: TelegramError, backoff: float) -> float:
    if isinstance(exc, RetryAfter):
        return retry_after_seconds(exc)
    if isinstance(exc, Conflict):
        log.error("another process takes this bot's updates (a webhook or a second poller)")
    else:
        log.warning("fetching updates failed (%s); retrying", type(exc).__name__)
    return min(max(backoff * 2, 0.5), 30.0)


async def _first(*aws: Coroutine[Any, Any, Any], timeout: float | None = None) -> Any:
    """The result of whichever of ``aws`` finishes first (None on timeout); cancels the rest."""
    tasks = [asyncio.ensure_future(aw) for aw in aws]
    try:
        done, _ = await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
    if not done:
        return None
    return next(task for task in tasks if task in done).result()
