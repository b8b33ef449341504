"""Display pinyin and search keys of many names at once, in worker processes when there
are many: the pinyin look-ups are the slowest part of a large import."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from functools import lru_cache
from typing import Any

from storage.search_keys import display_pinyin, name_keys

#: Below this many names, worker processes cost more than they save.
POOL_THRESHOLD = 50_000

Keyed = tuple[list[str], list[tuple[int, str, str]]]


@lru_cache(maxsize=200_000)
def _person(name: str, aliases: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    keys = name_keys(name, json.loads(aliases))
    return display_pinyin(name), tuple(sorted((k.kind.value, k.key) for k in keys))


def compute(people: Sequence[tuple[int, str, str]]) -> Keyed:
    """For (person id, name, aliases as JSON): each display pinyin, and every
    (person id, kind, key) row."""
    pinyins: list[str] = []
    rows: list[tuple[int, str, str]] = []
    for person_id, name, aliases in people:
        pinyin, keys = _person(name, aliases)
        pinyins.append(pinyin)
        rows.extend((person_id, kind, key) for kind, key in keys)
    return pinyins, rows


class KeyMaker:
    """Runs ``compute`` inline, or in a pool of worker processes for large jobs."""

    def __init__(self, expected: int) -> None:
        self.workers = min(os.cpu_count() or 1, 4) if expected >= POOL_THRESHOLD else 0
        self._pool: Executor | None = None
        if self.workers:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context)

    def start(self, people: Sequence[tuple[int, str, str]]) -> asyncio.Future[Keyed]:
        loop = asyncio.get_running_loop()
        if self._pool is None:
            future: asyncio.Future[Keyed] = loop.create_future()
            future.set_result(compute(people))
            return future
        return loop.run_in_executor(self._pool, compute, list(people))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def __enter__(self) -> KeyMaker:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()
