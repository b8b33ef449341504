"""Telegram throughput: updates handled per second end to end (update in, reply out) through
the fake Bot API server, for candibot and for a bare python-telegram-bot handler that runs the
same database queries, in the same run.

    .venv/bin/python -m benchmarks.telegram_throughput                 # 3,000 updates, 3 rounds
    .venv/bin/python -m benchmarks.telegram_throughput --updates 1000 --rounds 1 --db postgresql

Three processes, so that the bot under test has a core to itself: this driver, the fake
server (``fake`` subcommand) and the bot, started afresh for every measurement on a fresh
copy of a database holding the demo data: ``candibot run`` as operators start it, or the
bare bot (``bare`` subcommand: PTB's ``Application`` with default settings, one
``CommandHandler`` per command). The fake holds all updates at the start (a mix of name
searches and profile views from 500 chats); the rate is the number of updates over the time
from the first getUpdates that returned updates to the last reply.

``--kinds candibot,bare`` measures only those; ``CANDIBOT_BENCH_WRAP`` is put before the
bot's command line, to run it under a profiler (``py-spy record -d 20 -o out.svg --``).

Telegram would hold the bot to about 30 messages a second overall, which the fake does not;
candibot's flood control is raised out of the way for this measurement (it still runs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from tests.telegram.fake_api import FakeBotAPI

KEY = bytes(range(32))
CHATS = 500
#: What is measured: the two bots on the database, then the two transports alone.
KINDS = ("bare", "candibot", "bare, no database", "adapter, no core")
PG_URL = os.environ.get("CANDIBOT_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


# The fake server, in its own process ------------------------------------------------


class BenchAPI(FakeBotAPI):
    """The fake with a control API: load a batch of updates, read the timings."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self._first_batch: float | None = None

    def make_app(self) -> web.Application:
        app = super().make_app()
        app.router.add_post("/control/load", self._load)
        app.router.add_get("/control/stats", self._stats)
        return app

    async def _load(self, request: web.Request) -> web.Response:
        messages = await request.json()
        self.calls.clear()
        self.sent.clear()
        self._pending.clear()
        self._first_batch = None
        for chat_id, text, language in messages:
            self.message(chat_id, text, language=language)
        return web.json_response({"loaded": len(messages)})

    async def _m_getUpdates(self, params: dict[str, Any]) -> Any:
        result = await super()._m_getUpdates(params)
        if result and self._first_batch is None:
            self._first_batch = time.monotonic()
        return result

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "replies": len(self.sent),
                "first_batch": self._first_batch,
                "last_reply": self.sent[-1].at if self.sent else None,
                # For the rate once the bot is past its first seconds.
                "third_reply": self.sent[len(self.sent) // 3].at if self.sent else None,
                "chats": len({sent.chat_id for sent in self.sent}),
                "get_updates": self.count("getUpdates"),
            }
        )

    def _wake(self) -> None:
        pass  # saves a task per request: nothing here waits for the server's changes


async def serve_fake(port: int) -> None:
    api = BenchAPI(port=port)
    await api.start()
    print(json.dumps({"port": api.port}), flush=True)
    await asyncio.Event().wait()


# The bare python-telegram-bot handler, in its own process -----------------------------


async def bare_answer(session: Any, command: str, argument: str) -> str:
    """The bare bot's answer to ``/command argument``: the queries candibot's handlers run
    (a search, and the profile of a single match; or the profile of a number)."""
    from storage.candidates import candidacy_profile, search_candidacies

    if command == "search":
        page = await search_candidacies(session, argument, limit=8)
        if len(page.items) == 1 and not page.has_more and not page.fuzzy:
            profile = await candidacy_profile(session, page.items[0].id, "en")
            return profile.summary.name if profile else "?"
        return "\n".join(item.name for item in page.items) or "no match"
    profile = await candidacy_profile(session, int(argument), "en")
    return profile.summary.name if profile else "no such candidate"


def run_bare(db_url: str | None, base_url: str, file_url: str, token: str) -> None:
    """PTB's Application with default settings; without ``db_url`` it answers at once."""
    from sqlalchemy.ext.asyncio import async_sessionmaker
    from telegram import Update
    from telegram.ext import Application, CommandHandler, ContextTypes

    from storage.db import make_engine

    engine = make_engine(db_url or "sqlite://")
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def fixed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text("hello")

    def querying(command: str) -> Any:
        async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            args = context.args or []
            argument = " ".join(args) if command == "search" else (args or ["0"])[0]
            async with sessions() as session:
                text = await bare_answer(session, command, argument)
            assert update.message is not None
            await update.message.reply_text(text)

        return handle

    application = (
        Application.builder().token(token).base_url(base_url).base_file_url(file_url).build()
    )
    for command in ("search", "candidate"):
        application.add_handler(CommandHandler(command, querying(command) if db_url else fixed))
    application.run_polling(allowed_updates=["message", "callback_query"], close_loop=False)


# candibot's Telegram adapter without the core, in its own process ----------------------


class _Cursors:
    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    async def load(self, platform: str, name: str) -> str | None:
        return self.values.get((platform, name))

    async def save(self, platform: str, name: str, value: str) -> None:
        self.values[platform, name] = value


def run_adapter(api: str) -> None:
    """The adapter with a sink that answers every event at once: its own cost per update."""
    from bot.adapters.telegram import TelegramAdapter, TelegramSettings
    from bot.core.events import Event
    from bot.core.replies import Reply

    settings = TelegramSettings(
        token=FakeBotAPI.token,
        base_url=f"{api}/bot",
        global_per_second=1e6,
        chat_per_second=1e6,
        set_commands=False,
    )

    async def main() -> None:
        adapter = TelegramAdapter(settings, _Cursors())
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, lambda: loop.create_task(adapter.stop()))

        async def sink(event: Event) -> None:
            await adapter.send(event.chat, Reply.of("hello"))

        await adapter.run(sink)

    asyncio.run(main())


# The driver ---------------------------------------------------------------------------


async def prepare_database(kind: str, directory: Path) -> tuple[str, list[str], list[int]]:
    """A database with the demo data; returns its URL, searchable names and candidacy ids."""
    from sqlalchemy import select, text

    from storage.dataset import load_dataset, read_packaged
    from storage.db import make_engine, upgrade
    from storage.models import Candidacy, Person
    from storage.unit import unit_factory

    if kind == "sqlite":
        url = f"sqlite:///{directory / 'template.sqlite'}"
    else:
        schema = f"bench_tg_{os.getpid()}"
        admin = make_engine(PG_URL)
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        await admin.dispose()
        url = f"{PG_URL}?search_path={schema}"
    engine = make_engine(url)
    await upgrade(engine)
    async with unit_factory(engine)() as unit:
        await load_dataset(unit.session, read_packaged())
    async with engine.connect() as connection:
        people = (await connection.execute(select(Person.name, Person.pinyin))).all()
        ids = list((await connection.execute(select(Candidacy.id))).scalars())
    await engine.dispose()
    return url, _searchable(people), ids


def _searchable(people: Any) -> list[str]:
    """What users type for these (name, pinyin) pairs: the names, and their pinyin."""
    return [name for name, _ in people] + [pinyin.lower() for _, pinyin in people]


async def sample_database(url: str, every: int = 2500) -> tuple[str, list[str], list[int]]:
    """An existing database (the 5-million import of ``benchmarks.run``, say), used as it
    is: searchable names and candidacy ids from every ``every``-th row."""
    from sqlalchemy import select

    from storage.db import make_engine
    from storage.models import Candidacy, Person

    engine = make_engine(url)
    async with engine.connect() as connection:
        sampled = select(Person.name, Person.pinyin).where(Person.id % every == 0)
        people = (await connection.execute(sampled)).all()
        numbers = select(Candidacy.id).where(Candidacy.id % every == 0)
        ids = list((await connection.execute(numbers)).scalars())
    await engine.dispose()
    return url, _searchable(people), ids


async def drop_schema() -> None:
    from sqlalchemy import text

    from storage.db import make_engine

    admin = make_engine(PG_URL)
    async with admin.begin() as connection:
        await connection.execute(text(f'DROP SCHEMA IF EXISTS "bench_tg_{os.getpid()}" CASCADE'))
    await admin.dispose()


async def fresh_database(kind: str, template: str, directory: Path, n: int) -> str:
    """A copy of the template for one measurement (PostgreSQL: the same schema, cleared)."""
    if kind == "sqlite":
        path = directory / f"run{n}.sqlite"
        shutil.copyfile(template.removeprefix("sqlite:///"), path)
        return f"sqlite:///{path}"
    await clear_bot_state(template)
    return template


async def clear_bot_state(url: str) -> None:
    """Forget what an earlier run handled: a new fake server numbers its updates afresh."""
    from sqlalchemy import text

    from storage.db import make_engine

    engine = make_engine(url)
    async with engine.begin() as connection:
        for table in ("processed_events", "conversations", "platform_cursors"):
            await connection.execute(text(f"DELETE FROM {table}"))
    await engine.dispose()


def workload(names: list[str], ids: list[int], count: int, seed: int) -> list[list[Any]]:
    """Half name searches, half profile views, from ``CHATS`` chats in both languages."""
    rng = random.Random(seed)
    messages = []
    for _ in range(count):
        chat = 7_000_000 + rng.randrange(CHATS)
        if rng.random() < 0.5:
            text = f"/search {rng.choice(names)}"
        else:
            text = f"/candidate {rng.choice(ids)}"
        messages.append([chat, text, "en" if chat % 2 else "zh-hans"])
    return messages


def bot_command(kind: str, db_url: str, api: str) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ)
    me = [sys.executable, "-m", "benchmarks.telegram_throughput"]
    if kind == "bare":
        return [*me, "bare", "--db", db_url, "--api", api], env
    if kind == "bare, no database":
        return [*me, "bare", "--api", api], env
    if kind == "adapter, no core":
        return [*me, "adapter", "--api", api], env
    env.update(
        {
            "CANDIBOT_DATABASE_URL": db_url,
            "CANDIBOT_IDENTITY_KEY": KEY.hex(),
            "CANDIBOT_CONFIG": "/nonexistent/candibot.toml",
            "CANDIBOT_REPORT_KEY_FILE": "/nonexistent/report.key",
            "CANDIBOT_TELEGRAM_TOKEN": FakeBotAPI.token,
            "CANDIBOT_TELEGRAM_BASE_URL": f"{api}/bot",
            "CANDIBOT_TELEGRAM_BASE_FILE_URL": f"{api}/file/bot",
            "CANDIBOT_TELEGRAM_GLOBAL_PER_SECOND": "1000000",
            "CANDIBOT_TELEGRAM_CHAT_PER_SECOND": "1000000",
        }
    )
    return [sys.executable, "-m", "bot.cli", "run"], env


async def measure(
    session: aiohttp.ClientSession, api: str, kind: str, db_url: str, messages: list[Any]
) -> dict[str, float]:
    async with session.post(f"{api}/control/load", json=messages) as response:
        assert (await response.json())["loaded"] == len(messages)
    command, env = bot_command(kind, db_url, api)
    command = shlex.split(os.environ.get("CANDIBOT_BENCH_WRAP", "")) + command
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    try:
        while True:
            await asyncio.sleep(0.2)
            async with session.get(f"{api}/control/stats") as response:
                stats = await response.json()
            if stats["replies"] >= len(messages):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{kind} stopped after {stats['replies']} replies")
        peak_mib = peak_rss_mib(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
    elapsed = stats["last_reply"] - stats["first_batch"]
    later = len(messages) - len(messages) // 3
    return {
        "updates": len(messages),
        "seconds": elapsed,
        "per_second": len(messages) / elapsed,
        "last_two_thirds_per_second": later / (stats["last_reply"] - stats["third_reply"]),
        "peak_rss_mib": peak_mib,
        "get_updates_calls": stats["get_updates"],
    }


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident memory so far (Linux's VmHWM)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def drive(args: argparse.Namespace) -> dict[str, Any]:
    directory = Path(tempfile.mkdtemp(prefix="tg-bench-"))
    fake = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.telegram_throughput", "fake"],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    try:
        assert fake.stdout is not None
        port = json.loads(fake.stdout.readline())["port"]
        api = f"http://127.0.0.1:{port}"
        if args.database:
            template, names, ids = await sample_database(args.database)
        else:
            template, names, ids = await prepare_database(args.db, directory)
        kinds = [kind for kind in KINDS if kind in args.kinds]
        results: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
        async with aiohttp.ClientSession() as session:
            for round_ in range(args.rounds):
                messages = workload(names, ids, args.updates, seed=round_)
                for kind in kinds:
                    if args.database:
                        db_url = args.database
                        await clear_bot_state(db_url)
                    else:
                        db_url = await fresh_database(
                            args.db, template, directory, len(results[kind])
                        )
                    result = await measure(session, api, kind, db_url, messages)
                    results[kind].append(result)
                    print(
                        f"round {round_ + 1} {kind:17} {result['per_second']:7.1f} updates/s "
                        f"({result['last_two_thirds_per_second']:.1f} in the last two thirds), "
                        f"peak RSS {result['peak_rss_mib']:.0f} MiB"
                    )
        return {
            "database": args.db,
            "updates": args.updates,
            "rounds": args.rounds,
            "machine": machine(),
            "results": results,
            "median_per_second": {
                kind: statistics.median(r["per_second"] for r in runs)
                for kind, runs in results.items()
            },
        }
    finally:
        fake.send_signal(signal.SIGTERM)
        fake.wait(10)
        shutil.rmtree(directory, ignore_errors=True)
        if args.db == "postgresql" and not args.database:
            await drop_schema()


def machine() -> dict[str, str]:
    import importlib.metadata
    import importlib.util

    cpu = "unknown"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    facts = {"cpu": f"{os.cpu_count()} × {cpu}", "python": platform.python_version()}
    for package in ("python-telegram-bot", "httpx", "httpcore", "aiohttp", "sqlalchemy"):
        facts[package] = importlib.metadata.version(package)
    facts["sniffio installed"] = str(importlib.util.find_spec("sniffio") is not None)
    return facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("fake", help="(internal) serve the fake Bot API")
    bare = commands.add_parser("bare", help="(internal) run the bare PTB bot")
    bare.add_argument("--db", help="without it, the bot answers without a query")
    bare.add_argument("--api", required=True)
    adapter = commands.add_parser("adapter", help="(internal) run the adapter without the core")
    adapter.add_argument("--api", required=True)
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--kinds",
        type=lambda text: text.split(","),
        default=list(KINDS),
        help=f"which to measure, comma-separated (default: {','.join(KINDS)})",
    )
    parser.add_argument(
        "--database",
        help="an existing database URL to use instead of a fresh copy of the demo data "
        "(its processed events, conversations and offset are cleared before each bot)",
    )
    parser.add_argument("--output", type=Path, help="also write the results here as JSON")
    args = parser.parse_args()
    if args.command == "fake":
        asyncio.run(serve_fake(0))
    elif args.command == "bare":
        run_bare(args.db, f"{args.api}/bot", f"{args.api}/file/bot", FakeBotAPI.token)
    elif args.command == "adapter":
        run_adapter(args.api)
    else:
        summary = asyncio.run(drive(args))
        text = json.dumps(summary, indent=2)
        print(text)
        if args.output:
            args.output.write_text(text + "\n")


if __name__ == "__main__":
    main()
