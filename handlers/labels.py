"""Translatable labels for the vocabularies stored in the database, and how dates,
months and texts of either language are shown."""

from __future__ import annotations

from datetime import date
from typing import Any

from babel.dates import format_date, format_skeleton

from bot.core.context import Context
from bot.core.i18n import N_, Gettext
from bot.core.markup import Text, italic, plain
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


#: What the audit log calls each action, for /audit.
AUDIT_ACTIONS: dict[str, str] = {
    "approve": N_("approved"),
    "ask": N_("asked the reporter"),
    "claim": N_("claimed a candidacy"),
    "edit_summary": N_("wrote the summary"),
    "escalate": N_("escalated"),
    "issue_claim_code": N_("issued a claim code"),
    "publish": N_("published"),
    "refused": N_("refused"),
    "reject": N_("rejected"),
    "revoke_claim": N_("revoked a claim"),
    "set_date": N_("set a date"),
    "staff_add": N_("added staff"),
    "staff_remove": N_("removed staff"),
    "trust": N_("trusted a candidate"),
    "trust_off": N_("stopped trusting a candidate"),
    "view_stats": N_("viewed the statistics"),
    "broadcast": N_("broadcast to followers"),
    "propose_platform": N_("proposed a platform change"),
    "propose_statement": N_("proposed a statement"),
    "propose_event": N_("proposed an event"),
    "propose_link": N_("proposed a link"),
    "propose_withdrawal": N_("proposed a withdrawal"),
    "propose_change": N_("proposed a change to the candidate lists"),
    "apply_change": N_("applied a change to the candidate lists"),
    "staff_volunteer": N_("made a volunteer"),
}
AUDIT_TARGETS: dict[str, str] = {
    "candidacy": N_("candidacy"),
    "candidate_item": N_("candidate's item"),
    "claim_code": N_("claim code"),
    "command": N_("command"),
    "election": N_("election"),
    "report": N_("report"),
    "revision": N_("platform wording"),
    "update": N_("candidate's update"),
    "staff": N_("staff"),
    "area": N_("area"),
    "list_change": N_("change to the candidate lists"),
}
AUDIT_ACTORS: dict[str, str] = {
    "citizen": N_("a citizen"),
    "cli": N_("the operator (command line)"),
}


def label(table: dict[str, str], value: str, _: Gettext) -> str:
    """The translated label for a stored value; the raw value if it is not in the vocabulary."""
    message = table.get(value)
    return _(message) if message else value


def long_date(day: date, language: str) -> str:
    return format_date(day, format="long", locale=language)


def month_label(month: str, language: str) -> str:
    """A "2026-11" month: "2026年11月", "Nov 2026"."""
    year, number = month.split("-")
    return format_skeleton("yMMM", date(int(year), int(number), 1), locale=language)


def untranslated(ctx: Context[Any], text: str, language: str) -> Text:
    """``text`` as written, marked when it is not in the reader's language."""
    out = plain(text)
    if language != ctx.language:
        out += " " + italic(ctx._("(not translated)"))
    return out


def text_language(text: str) -> str:
    """The language a stored text is written in, as far as it matters here: any Chinese
    character makes it Chinese."""
    return "zh_CN" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en"


#: Between the items of a count list ("威胁电话 3；雇主施压 1").
SEPARATOR = N_("; ")


def short_date(day: date, language: str) -> str:
    """Month and day: "11月23日", "Nov 23"."""
    return format_skeleton("MMMd", day, locale=language)
