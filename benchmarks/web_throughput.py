"""Web chat throughput: chat turns a second (a search POST and its redirected GET) through
``candibot run`` with ``CANDIBOT_WEB_LISTEN``, and their latency, measured in the same run
as the Telegram path (``benchmarks.telegram_throughput``, kind ``candibot``).

    .venv/bin/python -m benchmarks.web_throughput                     # 3,000 turns, 3 rounds
    .venv/bin/python -m benchmarks.web_throughput --turns 1000 --rounds 1 --db postgresql

Each round: the Telegram path on a fresh copy of the demo database (the fake Bot API
holds all updates at the start), then the web path on another fresh copy: the bot is
started afresh, 500 sessions are opened (a GET each, not timed), then ``--workers``
clients send the round's turns, each session's in order; a turn is timed from the POST
to the end of the page the redirect leads to. The same workload (half name searches,
half profile views, from 500 chats in both languages) goes through both. The web
chat's own limits and the core's per-sender limit are raised out of the way, as
Telegram's flood control is for the Telegram path.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
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

from benchmarks.telegram_throughput import (
    KEY,
    drop_schema,
    fresh_database,
    machine,
    measure,
    prepare_database,
    workload,
)

CSRF = re.compile(r'name="csrf" value="([^"]*)"')


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def web_bot(db_url: str, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        {
            "CANDIBOT_DATABASE_URL": db_url,
            "CANDIBOT_IDENTITY_KEY": KEY.hex(),
            "CANDIBOT_CONFIG": "/nonexistent/candibot.toml",
            "CANDIBOT_REPORT_KEY_FILE": "/nonexistent/report.key",
            "CANDIBOT_WEB_LISTEN": f"127.0.0.1:{port}",
            "CANDIBOT_WEB_SESSION_PER_MINUTE": "1000000",
            "CANDIBOT_WEB_GLOBAL_PER_MINUTE": "100000000",
            "CANDIBOT_WEB_NEW_SESSIONS_PER_MINUTE": "100000000",
            "CANDIBOT_RATE_BURST": "1000000",
            "CANDIBOT_RATE_PER_MINUTE": "1000000",
        }
    )
    command = [sys.executable, "-m", "bot.cli", "run"]
    return subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL)


async def _open(http: aiohttp.ClientSession, base: str) -> tuple[str, str]:
    """A new session: its cookie and its form token."""
    async with http.get(base + "/") as response:
        assert response.status == 200, response.status
        page = await response.text()
        sid = response.cookies["candibot"].value
    found = CSRF.search(page)
    assert found
    return sid, found.group(1)


async def _turn(http: aiohttp.ClientSession, base: str, sid: str, token: str, text: str) -> float:
    started = time.perf_counter()
    cookie = {"Cookie": f"candibot={sid}"}
    data = {"csrf": token, "text": text}
    async with http.post(base + "/say", data=data, headers=cookie, allow_redirects=False) as r:
        assert r.status == 303, r.status
    async with http.get(base + "/", headers=cookie) as page:
        assert page.status == 200, page.status
        await page.read()
    return time.perf_counter() - started


async def measure_web(db_url: str, messages: list[Any], workers: int) -> dict[str, float]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = web_bot(db_url, port)
    connector = aiohttp.TCPConnector(limit=workers)
    try:
        async with aiohttp.ClientSession(
            connector=connector, cookie_jar=aiohttp.DummyCookieJar()
        ) as http:
            deadline = time.monotonic() + 60
            while True:
                try:
                    async with http.get(base + "/favicon.ico") as response:
                        if response.status == 204:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the web chat did not start")
                await asyncio.sleep(0.2)
            chats = sorted({chat for chat, _, _ in messages})
            opened = dict(zip(chats, [await _open(http, base) for _ in chats], strict=True))
            lanes: list[list[tuple[str, str, str]]] = [[] for _ in range(workers)]
            for chat, text, _language in messages:
                sid, token = opened[chat]
                lanes[chats.index(chat) % workers].append((sid, token, text))
            latencies: list[float] = []

            async def work(lane: list[tuple[str, str, str]]) -> None:
                for sid, token, text in lane:
                    latencies.append(await _turn(http, base, sid, token, text))

            started = time.perf_counter()
            await asyncio.gather(*(work(lane) for lane in lanes))
            elapsed = time.perf_counter() - started
        peak = _peak_rss_mib(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
    ordered = sorted(latencies)
    return {
        "turns": len(messages),
        "seconds": elapsed,
        "per_second": len(messages) / elapsed,
        "p50_ms": 1000 * statistics.median(ordered),
        "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
        "peak_rss_mib": peak,
    }


def _peak_rss_mib(pid: int) -> float:
    from benchmarks.telegram_throughput import peak_rss_mib

    return peak_rss_mib(pid)


async def drive(args: argparse.Namespace) -> dict[str, Any]:
    directory = Path(tempfile.mkdtemp(prefix="web-bench-"))
    fake = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.telegram_throughput", "fake"],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    results: dict[str, list[dict[str, float]]] = {"telegram": [], "web": []}
    try:
        assert fake.stdout is not None
        api = f"http://127.0.0.1:{json.loads(fake.stdout.readline())['port']}"
        template, names, ids = await prepare_database(args.db, directory)
        async with aiohttp.ClientSession() as session:
            for round_ in range(args.rounds):
                messages = workload(names, ids, args.turns, seed=round_)
                db_url = await fresh_database(args.db, template, directory, 2 * round_)
                telegram = await measure(session, api, "candibot", db_url, messages)
                results["telegram"].append(telegram)
                db_url = await fresh_database(args.db, template, directory, 2 * round_ + 1)
                web = await measure_web(db_url, messages, args.workers)
                results["web"].append(web)
                print(
                    f"round {round_ + 1}: telegram {telegram['per_second']:6.1f} updates/s; "
                    f"web {web['per_second']:6.1f} turns/s, p50 {web['p50_ms']:.1f} ms, "
                    f"p99 {web['p99_ms']:.1f} ms, peak RSS {web['peak_rss_mib']:.0f} MiB",
                    flush=True,
                )
    finally:
        fake.send_signal(signal.SIGTERM)
        fake.wait(10)
        shutil.rmtree(directory, ignore_errors=True)
        if args.db == "postgresql":
            await drop_schema()
    return {
        "database": args.db,
        "turns": args.turns,
        "rounds": args.rounds,
        "workers": args.workers,
        "machine": machine(),
        "results": results,
        "median_per_second": {
            kind: statistics.median(r["per_second"] for r in runs) for kind, runs in results.items()
        },
        "median_web_p99_ms": statistics.median(r["p99_ms"] for r in results["web"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--turns", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=8, help="web clients sending at once")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--output", type=Path, help="also write the results here as JSON")
    args = parser.parse_args()
    summary = asyncio.run(drive(args))
    text = json.dumps(summary, indent=2)
    print(text)
    if args.output:
        args.output.write_text(text + "\n")


if __name__ == "__main__":
    main()
