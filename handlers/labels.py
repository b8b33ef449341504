"""Translatable labels for the vocabularies stored in the database."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from bot.core.i18n import N_, Gettext
from storage.models import ElectionLevel, ElectionStatus, Nomination, Stage, Topic

STAGES: dict[str, str] = {
    Stage.nominated: N_("nominated"),
    Stage.official: N_("official candidate"),
    Stage.elected: N_("elected deputy"),
    Stage.not_elected: N_("not elected"),
    Stage.withdrawn: N_("withdrawn"),
}

NOMINATIONS: dict[str, str] = {
    Nomination.party: N_("nominated by a political party"),
    Nomination.organisation: N_("nominated by a people's organisation"),
    # Chinese law knows no "independent candidate"; the law's own term is kept in both languages.
    Nomination.voters_joint: N_("voter-nominated (选民联名推荐)"),
}

LEVELS: dict[str, str] = {
    ElectionLevel.county: N_("county-level people's congress"),
    ElectionLevel.township: N_("township people's congress"),
}

ELECTION_STATUSES: dict[str, str] = {
    ElectionStatus.expected: N_("expected"),
    ElectionStatus.announced: N_("announced"),
    ElectionStatus.confirmed: N_("confirmed"),
    ElectionStatus.postponed: N_("postponed"),
    ElectionStatus.held: N_("held"),
}

TOPICS: dict[str, str] = {
    Topic.housing: N_("Housing"),
    Topic.elderly_care: N_("Elderly care"),
    Topic.sanitation: N_("Sanitation"),
    Topic.labour_rights: N_("Labour rights"),
    Topic.parking_parks: N_("Parking and parks"),
    Topic.energy: N_("Energy"),
    Topic.transparency: N_("Transparency"),
    Topic.education: N_("Education"),
    Topic.transport: N_("Transport"),
    Topic.environment: N_("Environment"),
    Topic.other: N_("Other"),
}


def label(table: dict[str, str], value: str, _: Gettext) -> str:
    """The translated label for a stored value; the raw value if it is not in the vocabulary."""
    message = table.get(value)
    return _(message) if message else value


def long_date(day: date, language: str) -> str:
    return format_date(day, format="long", locale=language)
