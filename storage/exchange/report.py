"""What an import did, and why one was refused."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from .records import Problems, plural


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
    #: What the file's districts break of the law, which does not stop the import
    #: (the first few, and how many districts in all).
    warnings: list[str] = field(default_factory=list, compare=False)
    warned: int = field(default=0, compare=False)

    @property
    def changed(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self) if f.compare)

    def warning_lines(self) -> list[str]:
        rest = self.warned - len(self.warnings)
        more = [f"... and {plural(rest, 'more district')} like that"] if rest > 0 else []
        return [*self.warnings, *more]

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
        super().__init__(f"{plural(problems.count, 'error')}; nothing was imported")
        self.problems = problems


class NoDivisions(Exception):
    """The database has no administrative divisions, so every area code of the file
    would be unknown; nothing was read or written."""

    def __init__(self) -> None:
        super().__init__("the database has no administrative divisions")
