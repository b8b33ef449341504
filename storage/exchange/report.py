"""What an import did, and why one was refused."""

from __future__ import annotations

from dataclasses import dataclass, fields

from .records import Problems


@dataclass
class ImportReport:
    elections_added: int = 0
    elections_updated: int = 0
    districts_added: int = 0
    districts_updated: int = 0
    persons_added: int = 0
    persons_updated: int = 0
    candidacies_added: int = 0
    candidacies_updated: int = 0
    points_added: int = 0
    revisions_added: int = 0

    @property
    def changed(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def summary(self) -> str:
        """ "elections: 2 added, 1 updated; ..." """
        parts = []
        for name in ("elections", "districts", "persons", "candidacies"):
            added, updated = getattr(self, f"{name}_added"), getattr(self, f"{name}_updated")
            parts.append(f"{name}: {added} added, {updated} updated")
        parts.append(f"platform points: {self.points_added} added")
        parts.append(f"platform wordings: {self.revisions_added} added")
        return "; ".join(parts)


class ImportRefused(Exception):
    """The file has errors; nothing was written."""

    def __init__(self, problems: Problems) -> None:
        super().__init__(f"{problems.count} errors; nothing was imported")
        self.problems = problems
