"""Opening import files: plain or gzip-compressed, format told or guessed from the name."""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import BinaryIO, TextIO, cast

FORMATS = ("csv", "popolo")


def guess_format(path: Path) -> str | None:
    """csv for .csv and .csv.gz, popolo for .json and .json.gz."""
    name = path.name.lower().removesuffix(".gz")
    return {".csv": "csv", ".json": "popolo"}.get(Path(name).suffix)


class InputFile:
    """A file read as UTF-8 text (a leading BOM is skipped), with how far reading has got."""

    def __init__(self, raw: BinaryIO, size: int | None) -> None:
        self._raw = raw
        self.size = size
        self.text: TextIO

    def position(self) -> tuple[int, int | None]:
        try:
            return self._raw.tell(), self.size
        except (OSError, ValueError):
            return 0, self.size


@contextmanager
def open_input(path: Path) -> Iterator[InputFile]:
    with path.open("rb") as raw, ExitStack() as stack:
        source = InputFile(raw, os.fstat(raw.fileno()).st_size)
        binary: BinaryIO = raw
        if path.name.lower().endswith(".gz"):
            binary = cast(BinaryIO, stack.enter_context(gzip.GzipFile(fileobj=raw, mode="rb")))
        source.text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        try:
            yield source
        finally:
            source.text.detach()


@contextmanager
def open_output(path: Path | None, stdout: TextIO) -> Iterator[TextIO]:
    """UTF-8 text to ``path`` (gzip-compressed for .gz, reproducibly), or to ``stdout``."""
    if path is None:
        yield stdout
        return
    with path.open("wb") as raw:
        binary: BinaryIO = raw
        if path.name.lower().endswith(".gz"):
            binary = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)  # type: ignore[assignment]
        text = io.TextIOWrapper(binary, encoding="utf-8", newline="")
        try:
            yield text
        finally:
            text.flush()
            text.detach()
            if binary is not raw:
                binary.close()
