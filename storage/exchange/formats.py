"""A file to import: its path and format, how its records are read and how its errors
name a place in it. Plain data, so that a worker process can open and read it too."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import csv_format, popolo
from .records import Problems, Sink
from .sources import FORMATS, open_input

#: Reads a whole file into a sink: ``read(areas, problems, sink)``.
Read = Callable[[Mapping[str, str], Problems, Sink], None]
#: Bytes read so far, and the file's size if known.
Position = Callable[[], tuple[int, int | None]]


@dataclass(frozen=True)
class FileSource:
    path: Path
    format: str

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"unknown format {self.format!r}")

    @property
    def references(self) -> bool:
        """Whether records refer to each other by id, which must then be checked (in CSV
        a candidacy, its person, district and election share a line)."""
        return self.format == "popolo"

    def where(self, kind: str, at: int) -> str:
        """ "line 17" or "$.memberships[3]": a record's place, as errors name it."""
        return csv_format.where(at) if self.format == "csv" else popolo.where(kind, at)

    @contextmanager
    def opened(self) -> Iterator[tuple[Read, Position]]:
        with open_input(self.path) as file:
            reader = csv_format.read_csv if self.format == "csv" else popolo.read_popolo

            def read(areas: Mapping[str, str], problems: Problems, sink: Sink) -> None:
                reader(file.text, areas, problems, sink)

            yield read, file.position
