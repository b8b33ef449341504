"""Synthetic elections in the CSV import format (docs/IMPORT_FORMAT.md), for benchmarks.

Deterministic for a given seed. At full scale: an election for every county and
township of the packaged divisions (about 44,000), 1,000,000 electoral districts and
5,000,000 candidacies; ``--candidacies`` scales districts down in proportion.

    .venv/bin/python -m benchmarks.generate --candidacies 5000000 --output var/bench.csv
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import random
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import TextIO

from benchmarks.names import NameMaker
from storage.areas import AreaView, read_divisions
from storage.exchange.csv_format import COLUMNS

FULL_CANDIDACIES = 5_000_000
FULL_DISTRICTS = 1_000_000
#: A county elects several times as many deputies as a township (Election Law Art. 12).
COUNTY_WEIGHT = 6
STATUSES = (("expected", 30), ("announced", 30), ("confirmed", 15), ("postponed", 5), ("held", 20))
NOMINATIONS = (("party", 55), ("organisation", 25), ("voters_joint", 20))
POINTS = (
    ("housing", "推动建设保障性租赁住房。", "Build more affordable rental housing."),
    ("elderly_care", "为独居老人建立上门探访制度。", "Regular home visits for elderly people."),
    ("sanitation", "增加街道清扫次数。", "Sweep the streets more often."),
    ("labour_rights", "督促用人单位按时足额支付工资。", "Wages paid in full and on time."),
    ("parking_parks", "停车位规划先听取居民意见。", "Consult residents on parking plans."),
    ("transparency", "街道预算按时公开。", "Publish the sub-district budget on time."),
    ("education", "改善社区学校的办学条件。", "Better facilities for community schools."),
    ("transport", "增开社区公交线路。", "More community bus routes."),
)


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


class Generator:
    def __init__(self, candidacies: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.names = NameMaker(self.rng)
        self.candidacies = candidacies
        self.districts = max(1, round(candidacies * FULL_DISTRICTS / FULL_CANDIDACIES))
        areas = list(read_divisions())
        self.children: dict[str, list[str]] = {}
        for area in areas:
            if area.level == "township" and area.parent_code:
                self.children.setdefault(area.parent_code, []).append(area.code)
        self.areas = [a for a in areas if a.level in ("county", "township")]
        self.person = 0
        self.recent: list[list[str]] = []

    def _district_counts(self) -> list[int]:
        """How many districts each election has, adding up to ``self.districts``."""
        weights = [COUNTY_WEIGHT if a.level == "county" else 1 for a in self.areas]
        total = sum(weights)
        counts = [self.districts * w // total for w in weights]
        for i in self.rng.sample(range(len(counts)), self.districts - sum(counts)):
            counts[i] += 1
        return counts

    def rows(self) -> Iterator[list[str]]:
        left_districts, left_candidacies = self.districts, self.candidacies
        for area, count in zip(self.areas, self._district_counts(), strict=True):
            if count == 0:
                continue
            election = self._election(area)
            for number in range(1, count + 1):
                mean = left_candidacies / left_districts
                seats = 3 if mean > 4.5 else self.rng.choice((1, 2, 3))
                wanted = max(1, round(mean + self.rng.choice((-1, 0, 0, 1))))
                if left_districts == 1:
                    wanted = left_candidacies
                wanted = min(wanted, left_candidacies)
                yield from self._district(area, election, number, seats, wanted)
                left_districts -= 1
                left_candidacies -= wanted

    def _election(self, area: AreaView) -> list[str]:
        rng = self.rng
        status = _weighted(rng, STATUSES)
        day = ""
        roll = nominees = official = ""
        if status != "expected":
            election_day = date(2026, 11, 1) + timedelta(days=rng.randrange(61))
            day = election_day.isoformat()
            if rng.random() < 0.3:
                roll = (election_day - timedelta(days=20)).isoformat()
                nominees = (election_day - timedelta(days=15)).isoformat()
                official = (election_day - timedelta(days=7)).isoformat()
        updated = (date(2026, 10, 1) + timedelta(days=rng.randrange(58))).isoformat()
        return [
            f"{area.level}-{area.code}-2026", area.code, area.level, day, status,
            "合成数据 / synthetic data", updated, roll, nominees, official, "false",
        ]  # fmt: skip

    def _district(
        self, area: AreaView, election: list[str], number: int, seats: int, candidates: int
    ) -> Iterator[list[str]]:
        rng = self.rng
        codes = self.children.get(area.code) or [area.code]
        covered = sorted(rng.sample(codes, min(len(codes), rng.choice((1, 1, 2)))))
        district = [
            f"{election[0]}-{number:04d}", str(number), f"第{number}选区", str(seats),
            ";".join(covered),
        ]  # fmt: skip
        held = election[4] == "held"
        for rank in range(candidates):
            self.person += 1
            nomination = _weighted(rng, NOMINATIONS)
            count = ""
            if nomination == "voters_joint" and rng.random() < 0.8:
                count = str(rng.randint(10, 60))
            if held:
                stage = "elected" if rank < seats else "not_elected"
            else:
                stage = rng.choices(("official", "nominated", "withdrawn"), (70, 25, 5))[0]
            yield [
                *election, *district, f"c{self.person:07d}", stage, nomination, count, "", "",
                *self._person(), self._platform(),
            ]  # fmt: skip

    def _person(self) -> list[str]:
        """Mostly a new person; now and then one who also stands elsewhere."""
        rng = self.rng
        if self.recent and rng.random() < 0.01:
            return rng.choice(self.recent)
        alias = self.names.name() if rng.random() < 0.01 else ""
        person = [f"p{self.person:07d}", self.names.name(), alias]
        if rng.random() < 0.05:
            self.recent = [*self.recent[-999:], person]
        return person

    def _platform(self) -> str:
        rng = self.rng
        if rng.random() >= 0.1:
            return ""
        points = rng.sample(POINTS, rng.randint(1, 3))
        return json.dumps(
            [{"topic": t, "zh": zh, "en": en} for t, zh, en in points],
            ensure_ascii=False,
            separators=(",", ":"),
        )


def write(out: TextIO, candidacies: int, seed: int) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for row in Generator(candidacies, seed).rows():
        writer.writerow(row)
        count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks.generate", description=__doc__)
    parser.add_argument("--candidacies", type=int, default=FULL_CANDIDACIES)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--output", type=Path, help="a .csv or .csv.gz file (default stdout)")
    args = parser.parse_args(argv)
    if args.output is None:
        count = write(sys.stdout, args.candidacies, args.seed)
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        opener = gzip.open if args.output.suffix == ".gz" else open
        with opener(args.output, "wt", encoding="utf-8", newline="") as out:
            count = write(out, args.candidacies, args.seed)
    print(f"{count} candidacies written", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
