"""One exported candidacy with everything around it."""

from __future__ import annotations

from dataclasses import dataclass

from .records import CandidacyRecord, DistrictRecord, ElectionRecord, PersonRecord


@dataclass(frozen=True, slots=True)
class Row:
    election: ElectionRecord
    district: DistrictRecord
    candidacy: CandidacyRecord
    person: PersonRecord
