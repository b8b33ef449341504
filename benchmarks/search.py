"""Name-search latency, measured in a fresh process that opens the database and serves
a few thousand searches; prints one JSON object (latencies per query kind, peak memory).

    .venv/bin/python -m benchmarks.search --db sqlite:///var/bench.sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from benchmarks.names import GIVEN, NameMaker
from storage.candidates import search_candidacies
from storage.db import make_engine
from storage.models import KeyKind, Person
from storage.search_keys import name_keys, split_name, strip_tones

KINDS = (
    "pinyin",
    "pinyin_spaced_toned",
    "initials",
    "hanzi",
    "hanzi_prefix",
    "surname",
    "misspelt",
    "absent",
    "given",
    "given_pinyin",
    "surname_swapped",
)


def _plain(pinyin: str) -> str:
    return "".join(ch for ch in strip_tones(pinyin) if ch.isalpha())


def _key(name: str, kind: KeyKind) -> str:
    return min(k.key for k in name_keys(name) if k.kind == kind)


def _misspell(rng: random.Random, text: str) -> str:
    i = rng.randrange(len(text))
    if rng.random() < 0.5 or len(text) < 3:
        return text[:i] + rng.choice("aeiouxzq") + text[i + 1 :]
    return text[:i] + text[i + 1 :]


def _swap(rng: random.Random, text: str) -> str:
    """Two neighbouring letters swapped ("wang" -> "wnag"), where they differ."""
    places = [i for i in range(len(text) - 1) if text[i] != text[i + 1]]
    if not places:
        return text
    i = rng.choice(places)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def queries(
    rng: random.Random, people: list[tuple[str, str]], per_kind: int
) -> list[tuple[str, str]]:
    """(kind, query) pairs drawn from stored (name, display pinyin) pairs."""
    names = NameMaker(rng)
    makers: dict[str, Callable[[str, str], str]] = {
        "pinyin": lambda name, pinyin: _key(name, KeyKind.pinyin),
        "pinyin_spaced_toned": lambda name, pinyin: pinyin,
        "initials": lambda name, pinyin: _key(name, KeyKind.initials),
        "hanzi": lambda name, pinyin: name,
        "hanzi_prefix": lambda name, pinyin: name[: max(1, len(name) - 1)],
        "surname": lambda name, pinyin: rng.choice([names.surname(), _plain(pinyin.split()[0])]),
        "misspelt": lambda name, pinyin: _misspell(rng, _key(name, KeyKind.pinyin)),
        "absent": lambda name, pinyin: rng.choice(
            ["鱻" + rng.choice(GIVEN) + "龘", "xqzv" + _plain(pinyin)[:3], "喆" * 3]
        ),
        # A given name alone, in characters or pinyin (one-character given names included).
        "given": lambda name, pinyin: split_name(name)[1] or name,
        "given_pinyin": lambda name, pinyin: _plain("".join(pinyin.split()[1:])) or pinyin,
        # A surname alone with two letters swapped ("wnag"); short ones are left as typed.
        "surname_swapped": lambda name, pinyin: _swap(rng, _plain(pinyin.split()[0])),
    }
    out = []
    for kind in KINDS:
        for _ in range(per_kind):
            name, pinyin = rng.choice(people)
            out.append((kind, makers[kind](name, pinyin)))
    rng.shuffle(out)
    return out


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "n": len(ordered),
        "p50": at(0.50),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": ordered[-1],
        "mean": statistics.fmean(ordered),
    }


async def measure(url: str, per_kind: int, seed: int) -> dict[str, object]:
    engine = make_engine(url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    rng = random.Random(seed)
    async with sessions() as session:
        top = int(await session.scalar(select(func.max(Person.id))) or 0)
        wanted = sorted({rng.randint(1, top) for _ in range(per_kind * 4)})
        people = [
            (row.name, row.pinyin)
            for row in await session.execute(
                select(Person.name, Person.pinyin).where(Person.id.in_(wanted))
            )
        ]
    plan = queries(rng, people, per_kind)
    for _, query in plan[:200]:  # warm-up, not counted
        async with sessions() as session:
            await search_candidacies(session, query, limit=8)
    latencies: dict[str, list[float]] = {kind: [] for kind in KINDS}
    hits: dict[str, int] = dict.fromkeys(KINDS, 0)
    for kind, query in plan:
        start = time.perf_counter()
        async with sessions() as session:
            page = await search_candidacies(session, query, limit=8)
        latencies[kind].append((time.perf_counter() - start) * 1000)
        hits[kind] += bool(page.items)
    await engine.dispose()
    everything = [x for samples in latencies.values() for x in samples]
    return {
        "kinds": {k: {**percentiles(v), "found": hits[k]} for k, v in latencies.items()},
        "overall": percentiles(everything),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks.search", description=__doc__)
    parser.add_argument("--db", required=True, help="database URL")
    parser.add_argument("--per-kind", type=int, default=500, help="queries of each kind")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    result = asyncio.run(measure(args.db, args.per_kind, args.seed))
    json.dump(result, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
