"""The benchmark: generate (or reuse) synthetic data, time ``candibot import`` into a
fresh SQLite file and a fresh PostgreSQL schema, then measure name search in a fresh
process on each. Results go to standard output as Markdown and to var/bench/*.json.

    .venv/bin/python -m benchmarks.run --scale small   # about a minute: a smoke test
    .venv/bin/python -m benchmarks.run --scale full    # 5,000,000 candidacies

Besides wall-clock time it records the CPU seconds of each child (its worker processes
included) and the load average before and after, because the machine may be shared:
a busy machine stretches the wall-clock figures, hardly the CPU ones.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCALES = {"small": 50_000, "medium": 500_000, "full": 5_000_000}
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
PYTHON = sys.executable


@dataclass
class Run:
    seconds: float
    #: User and system CPU of the child and of its worker processes.
    cpu_seconds: float
    #: The largest peak resident memory of the child or any of its workers (wait4).
    peak_rss_mib: float
    #: 1-minute load average just before and just after.
    load: tuple[float, float]
    out: str


def _timed(args: list[str]) -> Run:
    """Runs a child to its end."""
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"failed ({child.returncode}): {' '.join(args)}")
    seconds = time.perf_counter() - start
    cpu = usage.ru_utime + usage.ru_stime
    load = (load_before, os.getloadavg()[0])
    return Run(seconds, cpu, usage.ru_maxrss / 1024, load, out)


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
        run = _timed(_candibot("import", str(data), "--db", url))
        print(f"[{database}] import took {run.seconds:.1f} s; searching", file=sys.stderr)
        imported = {
            "import_seconds": run.seconds,
            "import_cpu_seconds": run.cpu_seconds,
            "import_peak_rss_mib": run.peak_rss_mib,
            "import_load": run.load,
            "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    search = _timed([PYTHON, "-m", "benchmarks.search", "--db", url, "--per-kind", str(per_kind)])
    return {
        **{key: value for key, value in imported.items() if key.startswith("import")},
        "search": json.loads(search.out),
        "search_process_peak_rss_mib": search.peak_rss_mib,
        "search_load": search.load,
        "searched_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _load(result: dict[str, Any], key: str) -> str:
    load = result.get(key)
    return f", load average {load[0]:.1f} before and {load[1]:.1f} after" if load else ""


def _summary(result: dict[str, Any]) -> str:
    """One line on the import and the search process (older results lack some figures)."""
    cpu = result.get("import_cpu_seconds")
    return (
        f"import: {result['import_seconds']:.0f} s"
        + (f" ({cpu:.0f} s of CPU)" if cpu is not None else "")
        + _load(result, "import_load")
        + f"; largest peak RSS of the import's processes {result['import_peak_rss_mib']:.0f} MiB"
        + f"; search process peak RSS {result['search_process_peak_rss_mib']:.0f} MiB"
        + _load(result, "search_load")
    )


def table(results: dict[str, Any]) -> str:
    lines = []
    for database, result in results["databases"].items():
        lines.append(f"\n### {database}\n")
        lines.append(_summary(result) + "\n")
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
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the PostgreSQL schema afterwards, for a later --search-only",
    )
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
        try:
            results["databases"]["PostgreSQL"] = bench(
                "PostgreSQL", url, data, args.per_kind, reuse("PostgreSQL")
            )
        finally:
            if not args.keep:
                _psql(args.postgres, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        saved.write_text(json.dumps(results, indent=2))
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
