"""A flood and a bystander: how long another user's /start waits while a hostile sender
floods the bot, through the fake Bot API server and ``candibot run`` (SQLite).

    .venv/bin/python -m benchmarks.flood                 # 30 s per scenario, 3 scenarios
    .venv/bin/python -m benchmarks.flood --seconds 60 --db postgresql

Scenarios, each on a fresh copy of the demo database with the moderators' key set up
(so that ``/status`` hashes receipts with the deployment's Argon2id cost):

- ``quiet``: only the bystander, for the baseline;
- ``one sender``: one chat sends 20 messages a second, alternating 3,999-letter
  ``/search`` queries, 3,999-letter plain text and ``/status`` guesses; the per-sender
  rate limit answers it once, then drops its events;
- ``many senders``: the same 20 a second spread over 200 chats, each one within the
  rate limit, so every message is searched or hashed (the pool and the global
  ``/status`` cap take the load).

Twenty bystanders send ``/start`` every 2 s each (ten a second in all, each within the
rate limit); a latency is from the update's injection to the reply's arrival at the
fake server. The bot's peak resident
memory is read from ``/proc`` (VmHWM). Three processes: this driver, the fake and the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shlex
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

from benchmarks.telegram_throughput import (
    BenchAPI,
    bot_command,
    drop_schema,
    fresh_database,
    machine,
    peak_rss_mib,
    prepare_database,
)
from tests.telegram.fake_api import FakeBotAPI

LENGTH = 3_999
LONG_SEARCH = ("zhangweiliqiangwangfangchenjing" * 200)[:LENGTH]
LONG_TEXT = ("王伟李强张芳刘洋陈静曾立新" * 400)[:LENGTH]
#: Bystanders' chats: each sends /start every 2 s, within the rate limit (40 a minute),
#: ten a second in all.
BYSTANDERS = range(1, 21)
BYSTANDER_EVERY = 0.1
FLOOD_RATE = 20  # messages a second
SCENARIOS = {"quiet": 0, "one sender": 1, "many senders": 200}


class FloodAPI(BenchAPI):
    """The fake, waking long polls at once, with a flood it drives itself."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self._asked: dict[int, list[float]] = {}
        self._task: asyncio.Task[None] | None = None

    def _wake(self) -> None:
        FakeBotAPI._wake(self)

    def make_app(self) -> web.Application:
        app = super().make_app()
        app.router.add_post("/control/flood", self._flood)
        app.router.add_get("/control/latencies", self._latencies)
        return app

    async def _flood(self, request: web.Request) -> web.Response:
        plan = await request.json()
        self.sent.clear()
        self._asked.clear()
        self._task = asyncio.create_task(self._drive(plan["senders"], plan["seconds"]))
        return web.json_response({"started": True})

    async def _drive(self, senders: int, seconds: float) -> None:
        rng = random.Random(7)
        start = time.monotonic()
        next_flood = next_bystander = start
        n = turn = 0
        while (now := time.monotonic()) < start + seconds:
            if now >= next_bystander:
                chat = BYSTANDERS[turn % len(BYSTANDERS)]
                turn += 1
                self._asked.setdefault(chat, []).append(now)
                self.message(chat, "/start", language="en")
                next_bystander += BYSTANDER_EVERY
            if senders and now >= next_flood:
                chat = 1000 + n % senders
                kind = n % 3
                if kind == 0:
                    text = f"/search {LONG_SEARCH}"
                elif kind == 1:
                    text = LONG_TEXT
                else:
                    text = f"/status {rng.randrange(10**16):016d}"
                self.message(chat, text, language="zh-hans")
                n += 1
                next_flood += 1 / FLOOD_RATE
            await asyncio.sleep(max(0.0, min(next_bystander, next_flood) - time.monotonic()))

    async def _latencies(self, request: web.Request) -> web.Response:
        latencies: list[float] = []
        worst: list[tuple[float, float]] = []
        start = min((asked[0] for asked in self._asked.values()), default=0.0)
        for chat, asked in self._asked.items():
            replies = [sent.at for sent in self.sent if sent.chat_id == chat]
            pairs = list(zip(replies, asked, strict=False))
            latencies += [reply - ask for reply, ask in pairs]
            worst += [(ask - start, reply - ask) for reply, ask in pairs]
        return web.json_response(
            {
                "latencies": latencies,
                #: The five slowest answers: (seconds into the run, latency).
                "worst": sorted(worst, key=lambda pair: -pair[1])[:5],
                "asked": sum(len(asked) for asked in self._asked.values()),
                "flood_replies": sum(1 for sent in self.sent if sent.chat_id not in BYSTANDERS),
                "done": self._task is not None and self._task.done(),
            }
        )


async def serve(port: int) -> None:
    api = FloodAPI(port=port)
    await api.start()
    print(json.dumps({"port": api.port}), flush=True)
    await asyncio.Event().wait()


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def scenario(
    session: aiohttp.ClientSession, api: str, db_url: str, senders: int, seconds: float
) -> dict[str, Any]:
    key_dir = Path(tempfile.mkdtemp(prefix="flood-keys-"))
    command, env = bot_command("candibot", db_url, api)
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "keys", "generate"],
        env={**env, "CANDIBOT_REPORT_KEY_FILE": str(key_dir / "report.key")},
        check=True,
        capture_output=True,
    )
    env["CANDIBOT_REPORT_KEY_FILE"] = str(key_dir / "report.key")
    env["CANDIBOT_AUDIT_KEY_FILE"] = str(key_dir / "audit.key")
    env["CANDIBOT_AUDIT_CHECKPOINT_FILE"] = str(key_dir / "audit.checkpoint")
    # As in benchmarks.telegram_throughput: e.g. "py-spy record -o flood.svg --".
    command = shlex.split(os.environ.get("CANDIBOT_BENCH_WRAP", "")) + command
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, cwd=key_dir)
    try:
        await asyncio.sleep(3)  # the bot starts, then the clock starts
        async with session.post(
            f"{api}/control/flood", json={"senders": senders, "seconds": seconds}
        ) as response:
            await response.json()
        await asyncio.sleep(seconds + 2)
        async with session.get(f"{api}/control/latencies") as response:
            stats = await response.json()
        peak = peak_rss_mib(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
    latencies = [1000 * x for x in stats["latencies"]]
    return {
        "asked": stats["asked"],
        "answered": len(latencies),
        "flood_replies": stats["flood_replies"],
        "p50_ms": statistics.median(latencies),
        "p99_ms": _quantile(latencies, 0.99),
        "max_ms": max(latencies),
        "peak_rss_mib": peak,
        "worst": stats["worst"],
    }


async def drive(args: argparse.Namespace) -> dict[str, Any]:
    directory = Path(tempfile.mkdtemp(prefix="flood-bench-"))
    fake = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.flood", "fake"],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    try:
        assert fake.stdout is not None
        api = f"http://127.0.0.1:{json.loads(fake.stdout.readline())['port']}"
        template, _, _ = await prepare_database(args.db, directory)
        results: dict[str, dict[str, Any]] = {}
        async with aiohttp.ClientSession() as session:
            chosen = [(name, SCENARIOS[name]) for name in args.scenarios]
            for n, (name, senders) in enumerate(chosen):
                db_url = await fresh_database(args.db, template, directory, n)
                results[name] = await scenario(session, api, db_url, senders, args.seconds)
                r = results[name]
                print(
                    f"{name:13} /start p50 {r['p50_ms']:6.1f} ms, p99 {r['p99_ms']:6.1f} ms, "
                    f"max {r['max_ms']:6.1f} ms ({r['answered']}/{r['asked']} answered); "
                    f"{r['flood_replies']} flood replies; peak RSS {r['peak_rss_mib']:.0f} MiB"
                )
                slowest = ", ".join(f"{1000 * lag:.0f} ms at {at:.1f} s" for at, lag in r["worst"])
                print(f"{'':13} slowest: {slowest}")
        return {"database": args.db, "seconds": args.seconds, "machine": machine(),
                "results": results}  # fmt: skip
    finally:
        fake.send_signal(signal.SIGTERM)
        fake.wait(10)
        if args.db == "postgresql":
            await drop_schema()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("fake", help="(internal) serve the fake Bot API with a flood")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--scenarios",
        type=lambda text: text.split(","),
        default=list(SCENARIOS),
        help=f"comma-separated (default: {','.join(SCENARIOS)})",
    )
    args = parser.parse_args()
    if args.command == "fake":
        asyncio.run(serve(0))
        return
    result = asyncio.run(drive(args))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
