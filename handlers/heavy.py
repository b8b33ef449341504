"""CPU-heavy work (Argon2id receipt hashes, decoding photos) in a small thread pool.

Run on the event loop, one such call stalls every other user; run inside a handler,
it holds the database's write lock (SQLite) while it computes. So it runs in the
router's preparers (``Router.before``), before the transaction, here. The pool leaves
one core to the event loop, and the queue in front of it is bounded: past it the
sender is asked to try again, rather than everyone waiting behind a flood.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TypeVar

from bot.core.i18n import N_
from storage.images import ImageRejected, sanitize

T = TypeVar("T")

#: One core is left to the event loop, which answers everyone else.
WORKERS = max(1, (os.cpu_count() or 2) - 1)
#: Calls waiting or running at once; more are refused with ``Busy``.
MAX_PENDING = 16

BUSY = N_("I am very busy right now. Please try again in a minute.")

#: Niceness of the pool's threads: on Linux a thread has its own, so a hash that
#: competes for a core with the event loop (or the database) gives way to it.
NICENESS = 10


def _yield_to_the_loop() -> None:
    with contextlib.suppress(AttributeError, OSError):  # not Linux: left as it is
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)


_pool = ThreadPoolExecutor(
    max_workers=WORKERS, thread_name_prefix="candibot-cpu", initializer=_yield_to_the_loop
)
_pending = 0


class Busy(Exception):
    """The pool's queue is full."""


async def off_loop(fn: Callable[..., T], *args: object) -> T:
    """``fn(*args)`` in the pool; raises ``Busy`` when too much already waits."""
    global _pending
    if _pending >= MAX_PENDING:
        raise Busy
    _pending += 1
    try:
        return await asyncio.get_running_loop().run_in_executor(_pool, partial(fn, *args))
    finally:
        _pending -= 1


async def cleaned(image: bytes) -> tuple[str, bytes] | ImageRejected | Busy:
    """``image`` decoded and re-encoded without metadata in the pool: (media type, bytes),
    or why not (a refused image, a full pool)."""
    try:
        return await off_loop(sanitize, image)
    except (ImageRejected, Busy) as refused:
        return refused
