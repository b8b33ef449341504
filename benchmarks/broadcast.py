"""A date change announced to 100,000 followers of one county, delivered through a fake Bot
API server that holds the bot to Telegram's limits (30 messages a second in all, 1 a
second a chat, 429 with retry_after beyond), while citizens send /start.

    .venv/bin/python -m benchmarks.broadcast                             # 100,000, SQLite: ~56 min
    .venv/bin/python -m benchmarks.broadcast --db postgresql --workers 2 # two, sharing Redis
    .venv/bin/python -m benchmarks.broadcast --followers 1500            # a quick run: ~1 min

What it does: a fresh database (a SQLite file, or a PostgreSQL schema of its own) with the
demo data; ``--followers`` chats follow 进贤县 (one in five in English); the county's
election day moves and its followers are told as /setdate tells them
(``handlers.triggers.tell_dates``), timed: that is the enqueue time. Then the fake server
starts in a process of its own (``tests.telegram.fake_api`` with ``RateLimit()``), and
``--workers`` processes of ``candibot run`` in webhook mode, each on its port (with two
or more, sharing their rate budget in Redis, ``CANDIBOT_RATE_BUDGET_URL``). Every
``--probe-every`` seconds the fake posts a /start from a new citizen to the workers in
turn; a probe's latency runs from that post to the reply's arrival, both on the fake's
clock.

Reported, all counted by the fake server: the messages it took between the first and the
last alert, over that time, as a share of 30 a second; the 429s it answered; its busiest
second (sliding); each follower's alerts (exactly one each is the target); the probes'
p50/p99/max. Results go to standard output and to
``var/bench/broadcast-<db>-<workers>w-<followers>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from tests.followers import FIRST_CHAT, announce_new_day, follow
from tests.telegram.fake_api import FakeBotAPI, RateLimit

PG_URL = os.environ.get("CANDIBOT_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CANDIBOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
KEY = bytes(range(32))
SECRET = "benchmark-webhook-secret"
SCHEMA = "bench_broadcast"
#: Citizens' chats for the probes: one new citizen per /start.
FIRST_PROBE = 9_000_000_000
LIMIT = RateLimit()
#: Set, the fake prints every 429 with its recent arrivals and its own latest stall.
EXPLAIN = "CANDIBOT_BENCH_EXPLAIN_429"


# The fake server, in its own process ----------------------------------------------------


class BroadcastAPI(FakeBotAPI):
    """The rate-limited fake with a control API: post a /start, read the counts."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.failed_posts = 0
        #: Chats FIRST_CHAT … FIRST_CHAT + followers - 1 are the followers.
        self.followers = 0
        self.per_chat: Counter[int] = Counter()
        self.first_alert: float | None = None
        self.last_alert: float | None = None
        #: Messages taken so far, and their number at the first and the last alert.
        self.in_window = 0
        self.in_window_at_first_alert: int | None = None
        self.in_window_at_last_alert = 0
        self._answered: dict[int, float] = {}
        self._probes: dict[int, float] = {}
        self._posts: set[asyncio.Task[None]] = set()

    def make_app(self) -> web.Application:
        app = super().make_app()
        app.router.add_post("/control/probe", self._probe)
        app.router.add_get("/control/stats", self._stats)
        return app

    async def _probe(self, request: web.Request) -> web.Response:
        given = await request.json()
        chat, url = int(given["chat"]), str(given["url"])
        body = {"update_id": chat - FIRST_PROBE + 1} | self.update_body(chat, "/start")
        self._probes[chat] = time.monotonic()
        task = asyncio.create_task(self._post(url, body))
        self._posts.add(task)
        task.add_done_callback(self._posts.discard)
        return web.json_response({"posted": chat})

    async def _post(self, url: str, body: dict[str, Any]) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        try:
            async with aiohttp.ClientSession() as session:
                await session.post(url, json=body, headers=headers)
        except aiohttp.ClientError:
            self.failed_posts += 1

    def _record(self, params: dict[str, Any], message_id: int) -> Any:
        """Counted as they come, so that reading the counts every second stays cheap: a
        stats call that walked 100,000 messages would stall this server itself."""
        result = super()._record(params, message_id)
        sent = self.sent[-1] if self.sent and self.sent[-1].message_id == message_id else None
        if sent is not None:
            self.in_window += 1
            if FIRST_CHAT <= sent.chat_id < FIRST_CHAT + self.followers:
                self.per_chat[sent.chat_id] += 1
                self.first_alert = self.first_alert or sent.at
                self.last_alert = sent.at
                self.in_window_at_last_alert = self.in_window
                if self.in_window_at_first_alert is None:
                    self.in_window_at_first_alert = self.in_window
            elif sent.chat_id in self._probes and sent.chat_id not in self._answered:
                self._answered[sent.chat_id] = sent.at - self._probes[sent.chat_id]
        return result

    async def _stats(self, request: web.Request) -> web.Response:
        counts = {
            "alerts": sum(self.per_chat.values()),
            "followers_reached": len(self.per_chat),
            "too_many": self.too_many,
            "webhooks_set": self.count("setWebhook"),
        }
        if request.query.get("final"):
            first = self.in_window_at_first_alert or 0
            counts |= {
                "duplicates": sum(n - 1 for n in self.per_chat.values()),
                "first_alert": self.first_alert,
                "last_alert": self.last_alert,
                "messages_in_window": self.in_window_at_last_alert - first + 1,
                "backdated": self.backdated,
                "busiest_second": self.busiest(1.0),
                "probes": len(self._probes),
                "failed_posts": self.failed_posts,
                "latencies": sorted(self._answered.values()),
            }
        return web.json_response(counts)

    def _wake(self) -> None:
        pass  # nothing here waits for the server's changes

    async def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        before = self.too_many
        result = await super()._m_sendMessage(params)
        if self.too_many > before and os.environ.get(EXPLAIN):
            now = time.monotonic()
            recent = [round(now - s.at, 3) for s in self.sent[-6:]]
            calls = [round(now - c.at, 3) for c in self.calls[-8:]]
            print(
                f"429: stalled {self._stalled(now):.3f} s; sent {recent} s ago; calls {calls}",
                file=sys.stderr,
                flush=True,
            )
        return result


async def serve_fake(followers: int) -> None:
    # Telegram's servers do not share the bot's cores. Here the fake does; ahead of the
    # bot, a stall of its own would stamp a queue of requests as one burst and refuse
    # some. (Needs the right to raise a priority; without it the fake runs as it is.)
    with contextlib.suppress(OSError):
        os.nice(-10)
    api = BroadcastAPI(rate_limit=LIMIT)
    api.followers = followers
    await api.start()
    print(json.dumps({"port": api.port}), flush=True)
    await asyncio.Event().wait()


# The database ------------------------------------------------------------------------------


async def prepare(kind: str, directory: Path, followers: int) -> tuple[str, int, float]:
    """A fresh database with the demo data and the followers, and the alerts queued;
    returns its URL, how many alerts were queued and how long that took."""
    from sqlalchemy import text

    from storage.dataset import load_dataset, read_packaged
    from storage.db import make_engine, upgrade
    from storage.unit import unit_factory

    if kind == "sqlite":
        url = f"sqlite:///{directory / 'bot.sqlite'}"
    else:
        admin = make_engine(PG_URL)
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
            await connection.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
        await admin.dispose()
        url = f"{PG_URL}?search_path={SCHEMA}"
    engine = make_engine(url)
    await upgrade(engine)
    async with unit_factory(engine)() as unit:
        await load_dataset(unit.session, read_packaged())
    await follow(engine, followers)
    if kind == "postgresql":
        async with engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
    queued, seconds = await announce_new_day(engine)
    await engine.dispose()
    return url, queued, seconds


async def waiting(url: str) -> int:
    from sqlalchemy import func, select

    from storage.db import make_engine
    from storage.models import OutboxMessage

    engine = make_engine(url)
    async with engine.connect() as connection:
        count = await connection.scalar(select(func.count()).select_from(OutboxMessage))
    await engine.dispose()
    return int(count or 0)


async def drop_schema() -> None:
    from sqlalchemy import text

    from storage.db import make_engine

    admin = make_engine(PG_URL)
    async with admin.begin() as connection:
        await connection.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
    await admin.dispose()


# The workers ---------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_worker(
    url: str, api: str, budget: str | None, directory: Path, n: int
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    hook = f"http://127.0.0.1:{port}/hook"
    env = {
        **os.environ,
        "CANDIBOT_DATABASE_URL": url,
        "CANDIBOT_IDENTITY_KEY": KEY.hex(),
        "CANDIBOT_CONFIG": str(directory / "absent.toml"),
        "CANDIBOT_AUDIT_KEY_FILE": str(directory / f"audit{n}.key"),
        "CANDIBOT_AUDIT_CHECKPOINT_FILE": str(directory / f"audit{n}.checkpoint"),
        "CANDIBOT_REPORT_KEY_FILE": str(directory / "absent.key"),
        "CANDIBOT_TELEGRAM_TOKEN": FakeBotAPI.token,
        "CANDIBOT_TELEGRAM_BASE_URL": f"{api}/bot",
        "CANDIBOT_TELEGRAM_WEBHOOK_URL": hook,
        "CANDIBOT_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "CANDIBOT_TELEGRAM_LISTEN_PORT": str(port),
        "CANDIBOT_LOG_LEVEL": "WARNING",
    }
    if budget:
        env["CANDIBOT_RATE_BUDGET_URL"] = budget
    command = [sys.executable, "-m", "bot.cli", "run"]
    wrap = os.environ.get("CANDIBOT_BENCH_WRAP")
    if wrap:
        import shlex

        command = [*shlex.split(wrap), *command]
    log = open(directory / f"worker{n}.log", "wb")  # noqa: SIM115 - lives as long as the worker
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stderr=log)
    return process, hook


def cpu_seconds(pid: int) -> float:
    """User and system time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


async def drive(args: argparse.Namespace) -> dict[str, Any]:
    if args.db == "sqlite" and args.workers > 1:
        raise SystemExit("on SQLite one process does it all: --workers 1")
    directory = Path(tempfile.mkdtemp(prefix="broadcast-bench-"))
    load_before = os.getloadavg()
    print(f"preparing {args.followers:,} followers on {args.db} …", flush=True)
    url, queued, enqueue_seconds = await prepare(args.db, directory, args.followers)
    print(f"queued {queued:,} alerts in {enqueue_seconds:.2f} s", flush=True)
    if args.enqueue_only:
        shutil.rmtree(directory, ignore_errors=True)
        if args.db == "postgresql" and not args.keep:
            await drop_schema()
        return {"database": args.db, "followers": args.followers, "queued": queued,
                "enqueue_seconds": enqueue_seconds}  # fmt: skip
    fake = subprocess.Popen([sys.executable, "-m", "benchmarks.broadcast", "fake",
                             "--followers", str(args.followers)],
                            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)  # fmt: skip
    workers: list[tuple[subprocess.Popen[bytes], str]] = []
    try:
        assert fake.stdout is not None
        api = f"http://127.0.0.1:{json.loads(fake.stdout.readline())['port']}"
        budget = args.budget or (REDIS_URL if args.workers > 1 else None)
        workers = [start_worker(url, api, budget, directory, n) for n in range(args.workers)]
        stats = await watch(args, api, [hook for _, hook in workers])
        left = await waiting(url)
        cpu = [cpu_seconds(process.pid) for process, _ in workers]
    finally:
        for process, _ in workers:
            process.send_signal(signal.SIGTERM)
        for process, _ in workers:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        fake.send_signal(signal.SIGTERM)
        fake.wait(10)
        logs = {p.name: p.read_text(errors="replace")[-2000:] for p in directory.glob("*.log")}
        shutil.rmtree(directory, ignore_errors=True)
        if args.db == "postgresql" and not args.keep:
            await drop_schema()
    span = (stats["last_alert"] or 0) - (stats["first_alert"] or 0)
    rate = (stats["messages_in_window"] - 1) / span if span > 0 else float("nan")
    latencies = [1000 * s for s in stats["latencies"]]
    return {
        "database": args.db,
        "workers": args.workers,
        "budget": "redis" if (args.budget or args.workers > 1) else "local",
        "followers": args.followers,
        "enqueue_seconds": enqueue_seconds,
        "queued": queued,
        "alerts_delivered": stats["alerts"],
        "followers_reached": stats["followers_reached"],
        "duplicates": stats["duplicates"],
        "left_in_outbox": left,
        "seconds": span,
        "messages_per_second": rate,
        "share_of_limit": rate / LIMIT.per_second,
        "too_many_429": stats["too_many"],
        "backdated_after_fake_stalls": stats["backdated"],
        "busiest_second": stats["busiest_second"],
        "worker_cpu_seconds": cpu,
        "worker_cpu_ms_per_alert": 1000 * sum(cpu) / max(stats["alerts"], 1),
        "probes_sent": stats["probes"],
        "probes_answered": len(latencies),
        "probe_posts_failed": stats["failed_posts"],
        "start_p50_ms": percentile(latencies, 0.50),
        "start_p99_ms": percentile(latencies, 0.99),
        "start_max_ms": max(latencies, default=float("nan")),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "machine": machine(),
        "worker_logs_tail": {name: text for name, text in logs.items() if text.strip()},
    }


async def watch(args: argparse.Namespace, api: str, hooks: list[str]) -> dict[str, Any]:
    """Probe with /start until every follower has had an alert (or time is up)."""
    deadline = time.monotonic() + args.followers / 20 + 300
    probes, shown = 0, time.monotonic()
    async with aiohttp.ClientSession() as session:

        async def stats(final: bool = False) -> dict[str, Any]:
            query = {"final": "1"} if final else {}
            async with session.get(f"{api}/control/stats", params=query) as response:
                found: dict[str, Any] = await response.json()
                return found

        started = False
        while time.monotonic() < deadline:
            await asyncio.sleep(args.probe_every)
            current = await stats()
            if current["followers_reached"] >= args.followers:
                break
            # Citizens come once every worker serves its webhook and alerts flow.
            started = started or (current["alerts"] > 0 and current["webhooks_set"] >= len(hooks))
            if started:
                chat = FIRST_PROBE + probes
                body = {"chat": chat, "url": hooks[probes % len(hooks)]}
                async with session.post(f"{api}/control/probe", json=body) as response:
                    await response.read()
                probes += 1
            if time.monotonic() - shown > 60:
                shown = time.monotonic()
                print(f"  {current['followers_reached']:,} followers reached, "
                      f"{current['too_many']} × 429", flush=True)  # fmt: skip
        await asyncio.sleep(2)  # the last probes' replies, and any message sent twice
        return await stats(final=True)


def machine() -> dict[str, str]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"cpu": f"{os.cpu_count()} × {cpu}", "python": platform.python_version()}


def report(result: dict[str, Any]) -> str:
    r = result
    return "\n".join([
        f"{r['followers']:,} followers, {r['database']}, {r['workers']} worker(s), "
        f"{r['budget']} budget",
        f"  enqueue: {r['queued']:,} alerts in {r['enqueue_seconds']:.2f} s",
        f"  delivered: {r['alerts_delivered']:,} alerts to {r['followers_reached']:,} "
        f"followers ({r['duplicates']} twice), {r['left_in_outbox']} left in the outbox",
        f"  rate: {r['messages_per_second']:.2f} messages/s over {r['seconds']:.1f} s = "
        f"{100 * r['share_of_limit']:.1f} % of 30/s; busiest second {r['busiest_second']}; "
        f"{r['too_many_429']} × 429; {r['backdated_after_fake_stalls']} read late by the fake "
        "(its own stalls) and counted at their earliest",
        f"  workers' CPU: {r['worker_cpu_ms_per_alert']:.1f} ms per alert",
        f"  /start: {r['probes_answered']}/{r['probes_sent']} answered, p50 "
        f"{r['start_p50_ms']:.0f} ms, p99 {r['start_p99_ms']:.0f} ms, "
        f"max {r['start_max_ms']:.0f} ms",
        f"  load average before {r['load_average_before']}, after {r['load_average_after']}",
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command")
    fake = commands.add_parser("fake", help="(internal) serve the rate-limited fake Bot API")
    fake.add_argument("--followers", type=int, required=True)
    parser.add_argument("--followers", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--budget", help="a Redis URL for the shared budget (default: "
                        "this Redis with two or more workers, none with one)")  # fmt: skip
    parser.add_argument("--probe-every", type=float, default=1.0,
                        help="seconds between citizens' /start (default 1)")  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL schema")
    parser.add_argument("--enqueue-only", action="store_true",
                        help="time queuing the alerts, deliver nothing")  # fmt: skip
    args = parser.parse_args()
    if args.command == "fake":
        asyncio.run(serve_fake(args.followers))
        return
    result = asyncio.run(drive(args))
    if args.enqueue_only:
        return
    print(report(result))
    out = Path("var/bench")
    out.mkdir(parents=True, exist_ok=True)
    name = f"broadcast-{args.db}-{args.workers}w-{args.followers}.json"
    (out / name).write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"  (written to {out / name})")


if __name__ == "__main__":
    main()
