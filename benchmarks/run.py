"""The benchmark: generate (or reuse) synthetic data, time ``candibot import`` into a
fresh SQLite file and a fresh PostgreSQL schema, then measure name search in a fresh
process on each. Results go to standard output as Markdown and to var/bench/*.json.

    .venv/bin/python -m benchmarks.run --scale small   # about a minute: a smoke test
    .venv/bin/python -m benchmarks.run --scale full    # 5,000,000 candidacies
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SCALES = {"small": 50_000, "medium": 500_000, "full": 5_000_000}
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
PYTHON = sys.executable


def _timed(args: list[str]) -> tuple[float, float, str]:
    """Runs a child; (seconds, its peak resident memory in MiB from wait4, its stdout)."""
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"failed ({child.returncode}): {' '.join(args)}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024, out


def _candibot(*args: str) -> list[str]:
    return [PYTHON, "-m", "bot.cli", *args]


def _psql(url: str, *statements: str) -> None:
    import asyncio

    from sqlalchemy import text

    from storage.db import make_engine

    async def run() -> None:
        engine = make_engine(url)
        async with engine.begin() as connection:
            for sql in statements:
                await connection.execute(text(sql))
        await engine.dispose()

    asyncio.run(run())


def bench(
    database: str, url: str, data: Path, per_kind: int, imported: dict[str, Any] | None
) -> dict[str, Any]:
    """Imports ``data`` into ``url`` (unless ``imported`` has the figures of an earlier
    run on the same database), then measures search."""
    if imported is None:
        print(f"[{database}] loading divisions", file=sys.stderr)
        _timed(_candibot("areas", "load", "--db", url))
        print(f"[{database}] importing {data}", file=sys.stderr)
        seconds, rss, _ = _timed(_candibot("import", str(data), "--db", url))
        print(f"[{database}] import took {seconds:.1f} s; searching", file=sys.stderr)
    else:
        seconds, rss = imported["import_seconds"], imported["import_peak_rss_mib"]
    _, search_rss, out = _timed(
        [PYTHON, "-m", "benchmarks.search", "--db", url, "--per-kind", str(per_kind)]
    )
    return {
        "import_seconds": seconds,
        "import_peak_rss_mib": rss,
        "search": json.loads(out),
        "search_process_peak_rss_mib": search_rss,
    }


def table(results: dict[str, Any]) -> str:
    lines = []
    for database, result in results["databases"].items():
        lines.append(f"\n### {database}\n")
        lines.append(
            f"import: {result['import_seconds']:.0f} s, peak RSS of the import process "
            f"{result['import_peak_rss_mib']:.0f} MiB; search process peak RSS "
            f"{result['search_process_peak_rss_mib']:.0f} MiB\n"
        )
        lines.append("| query kind | n | found | p50 ms | p95 ms | p99 ms | max ms |")
        lines.append("|---|---|---|---|---|---|---|")
        search = result["search"]
        for kind, s in [*search["kinds"].items(), ("overall", search["overall"])]:
            found = s.get("found", "")
            lines.append(
                f"| {kind} | {s['n']} | {found} | {s['p50']:.1f} | {s['p95']:.1f} | "
                f"{s['p99']:.1f} | {s['max']:.1f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks.run", description=__doc__)
    parser.add_argument("--scale", choices=SCALES, default="small")
    parser.add_argument("--workdir", type=Path, default=Path("var/bench"))
    parser.add_argument("--postgres", default=os.environ.get("CANDIBOT_BENCH_POSTGRES_URL",
                                                             DEFAULT_POSTGRES))  # fmt: skip
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--search-only",
        action="store_true",
        help="reuse the databases (and import figures) of the last run; only search again",
    )
    parser.add_argument("--per-kind", type=int, default=500, help="search queries per kind")
    args = parser.parse_args(argv)
    count = SCALES[args.scale]
    args.workdir.mkdir(parents=True, exist_ok=True)
    data = args.workdir / f"candidacies-{count}.csv"
    if not data.exists():
        print(f"generating {data}", file=sys.stderr)
        partial = data.with_suffix(".partial")
        _timed([PYTHON, "-m", "benchmarks.generate", "--candidacies", str(count),
                "--output", str(partial)])  # fmt: skip
        partial.rename(data)
    saved = args.workdir / f"results-{args.scale}.json"
    results: dict[str, Any] = {"scale": args.scale, "candidacies": count, "databases": {}}
    if saved.exists():
        results["databases"] = json.loads(saved.read_text())["databases"]

    def reuse(database: str) -> dict[str, Any] | None:
        return results["databases"].get(database) if args.search_only else None

    if not args.no_sqlite:
        sqlite_file = args.workdir / f"bench-{count}.sqlite"
        if not args.search_only:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{sqlite_file.resolve()}"
        results["databases"]["SQLite"] = bench("SQLite", url, data, args.per_kind, reuse("SQLite"))
        saved.write_text(json.dumps(results, indent=2))
    if not args.no_postgres:
        schema = f"bench_{args.scale}"
        if not args.search_only:
            _psql(args.postgres, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE',
                  f'CREATE SCHEMA "{schema}"')  # fmt: skip
        url = f"{args.postgres}?search_path={schema}"
        results["databases"]["PostgreSQL"] = bench(
            "PostgreSQL", url, data, args.per_kind, reuse("PostgreSQL")
        )
        saved.write_text(json.dumps(results, indent=2))
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
