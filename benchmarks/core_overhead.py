"""The core's cost per event, in one process: the throughput benchmark's workload
(``benchmarks.telegram_throughput``) through the dispatcher and an in-memory adapter, one
event at a time, against the same queries run bare. No transport, no other process.

    .venv/bin/python -m benchmarks.core_overhead                   # SQLite, 3,000 events
    .venv/bin/python -m benchmarks.core_overhead --db postgresql --events 5000
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker

from benchmarks.telegram_throughput import (
    KEY,
    bare_answer,
    drop_schema,
    prepare_database,
    workload,
)
from bot.adapters.memory import MemoryAdapter
from bot.app import build_app
from bot.core.events import ChatRef, Command, SenderRef
from storage.db import make_engine

WARM_UP = 200


async def bare_ms(url: str, messages: list[list[object]]) -> float:
    """Milliseconds per message for the bare bot's queries alone."""
    engine = make_engine(url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def answer(text: str) -> None:
        command, _, argument = text.removeprefix("/").partition(" ")
        async with sessions() as session:
            await bare_answer(session, command, argument)

    try:
        for _, text, _ in messages[:WARM_UP]:
            await answer(str(text))
        start = time.perf_counter()
        for _, text, _ in messages[WARM_UP:]:
            await answer(str(text))
        return (time.perf_counter() - start) * 1000 / (len(messages) - WARM_UP)
    finally:
        await engine.dispose()


async def core_ms(url: str, messages: list[list[object]]) -> float:
    """Milliseconds per message through the dispatcher (state, records, rendering)."""
    app = await build_app(url, KEY, migrate=False)
    adapter = MemoryAdapter()
    sink = app.sink_for(adapter)
    events = []
    for n, (chat, text, language) in enumerate(messages):
        name, _, args = str(text).removeprefix("/").partition(" ")
        events.append(
            Command(
                chat=ChatRef("telegram", str(chat)),
                sender=SenderRef("telegram", str(chat)),
                language=str(language),
                event_id=str(n),
                name=name,
                args=args,
            )
        )
    try:
        for event in events[:WARM_UP]:
            await sink(event)
        start = time.perf_counter()
        for event in events[WARM_UP:]:
            await sink(event)
        elapsed = time.perf_counter() - start
        assert len(adapter.sent) >= len(events), "every event was answered"
        return elapsed * 1000 / (len(events) - WARM_UP)
    finally:
        await app.close()


async def main(args: argparse.Namespace) -> None:
    directory = Path(tempfile.mkdtemp())
    try:
        url, names, ids = await prepare_database(args.db, directory)
        messages = workload(names, ids, args.events + WARM_UP, seed=1)
        bare = await bare_ms(url, messages)
        core = await core_ms(url, messages)
        print(f"{args.db}, {args.events} events one at a time:")
        print(f"  bare queries        {bare:6.2f} ms an event")
        print(f"  through the core    {core:6.2f} ms an event ({core - bare:+.2f} ms)")
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        if args.db == "postgresql":
            await drop_schema()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--events", type=int, default=3000)
    asyncio.run(main(parser.parse_args()))
