"""Completes a batch's person rows with their display pinyin and search keys. For large
files this runs in a process of its own between the reader and the importer: keying
names costs about as much as reading and checking the lines they come from."""

from __future__ import annotations

from collections.abc import Sequence

from .batches import Batch, Person
from .person_keys import person_keys


def key_all(people: Sequence[Person]) -> list[tuple[str, str]]:
    """(display pinyin, search keys as JSON) of each (name, aliases)."""
    return [person_keys(name, aliases) for name, aliases in people]


def keyed(batch: Batch) -> Batch:
    """``batch`` with its person rows complete (changed in place)."""
    if batch.people:
        rows = batch.rows["x_persons"]
        derived = key_all(batch.people)
        batch.rows["x_persons"] = [row + keys for row, keys in zip(rows, derived, strict=True)]
        batch.people = []
    return batch
