"""Rebuild storage/data/division_keys.tsv.gz, the search keys of every packaged division.

    .venv/bin/python tools/division_keys.py

Working out the pinyin of 44,700 place names takes seconds on every ``areas load`` and
every demo start; the keys are computed once here instead. The file names the pypinyin
release that made it: under another release the loader computes the keys itself, and
tests/test_division_keys.py fails until this is run again.
"""

from __future__ import annotations

import gzip
import sys
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage.areas import DIVISION_KEYS_FILE, area_keys, read_divisions  # noqa: E402


def main() -> int:
    target = ROOT / "storage" / "data" / DIVISION_KEYS_FILE
    with gzip.GzipFile(target, "wb", mtime=0) as raw:  # mtime 0: the same input, the same bytes
        raw.write(f"# pypinyin {version('pypinyin')}\n".encode())
        for area in read_divisions():
            for key in sorted(area_keys(area.name), key=lambda k: (k.kind.value, k.key)):
                raw.write(f"{area.code}\t{key.kind.value}\t{key.key}\n".encode())
    print(f"wrote {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
