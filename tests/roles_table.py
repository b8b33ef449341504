"""Who may do what, and where: the authorisation matrix's table (issue 15, item 3).

``tests/test_authorisation_matrix.py`` tries every row as every role in every place
and asserts exactly the cells the row allows; ``tools/roles_doc.py`` renders the same
rows as docs/ROLES.md. A command or button prefix the router knows and no row names
fails the test, so a new one needs a row here, and so a line in the document.

A row's ``probe`` is a command line or a button payload. A button row with
``before`` first walks that path in the same place as the same person (commands,
``@prefix`` presses of the first offered button starting so, typed text) and then
presses the first offered button starting with ``probe``, or ``probe`` itself when
none was offered: what a person can reach by pressing what the bot showed them.
A row without ``before`` is a payload typed by hand (forged). ``{receipt}`` stands
for the receipt of a report filed beforehand, ``{code}`` for a fresh claim code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    citizen = "citizen"
    citizen2 = "another citizen"
    candidate = "candidate"
    candidate2 = "another candidate"
    moderator = "moderator"
    removed = "removed moderator"
    admin = "admin"


class Place(StrEnum):
    private = "private chat"
    group = "group"
    room = "moderators' room"
    web = "web session"


ROLES = frozenset(Role)
PLACES = frozenset(Place)
CANDIDATES = frozenset({Role.candidate, Role.candidate2})
STAFF = frozenset({Role.moderator, Role.admin})
ADMINS = frozenset({Role.admin})
NOBODY: frozenset[Role] = frozenset()
PRIVATE = frozenset({Place.private, Place.web})
STAFF_PLACES = frozenset({Place.private, Place.room})
REACHABLE = frozenset({Place.private, Place.group, Place.room})
ONLY_PRIVATE = frozenset({Place.private})

#: A report's whole flow up to the button of each step (the demo's 西湖区).
DESCRIPTION = "昨天晚上有人打电话威胁我的家人，要求我退出选举，否则后果自负。"
REPORT = ("/report", "@rpt:go")
AT_CATEGORY = REPORT
AT_AREA = (*REPORT, "@rptc:threatening_calls", "西湖区")
AT_WHEN = (*AT_AREA, "@rpta:3")
AT_PHOTOS = (*AT_WHEN, "@rptw:this_week", DESCRIPTION)
AT_PUBLISH = (*AT_PHOTOS, "@rptp:done")
AT_CONFIRM = (*AT_PUBLISH, "@rptpub:yes")


@dataclass(frozen=True, slots=True)
class Row:
    #: ``/command args`` or a button payload (``prefix:args``).
    probe: str
    who: frozenset[Role]
    where: frozenset[Place]
    #: What it does and why these cells, for the document.
    note: str
    before: tuple[str, ...] | None = None
    #: Tables a refusal may write all the same (a claim code seen in a group is used up).
    refusal_writes: frozenset[str] = frozenset()

    @property
    def command(self) -> bool:
        return self.probe.startswith("/")

    @property
    def key(self) -> str:
        """The command's name or the button's prefix."""
        if self.command:
            return self.probe[1:].split(" ", 1)[0]
        return self.probe.partition(":")[0]

    def allows(self, role: Role, place: Place) -> bool:
        return role in self.who and place in self.where


def public(probe: str, note: str, before: tuple[str, ...] | None = None) -> Row:
    return Row(probe, ROLES, PLACES, note, before)


ROWS: tuple[Row, ...] = (
    # Everyone, everywhere: reading public information and one's own settings.
    public("/start", "what the bot does; names a staff or candidate role to its holder"),
    public("/help", "the command list"),
    public("/language", "offers 中文 / English"),
    public("/lang", "the same"),
    public("/area 西湖区", "a place, its elections and candidates"),
    public("/district 西湖区", "the same"),
    public("/search 王", "candidates by name"),
    public("/s 王", "the same"),
    public("/candidate 1", "a profile"),
    public("/c 1", "the same"),
    public("/elections 西湖区", "dates and the law's milestones"),
    public("/dates 西湖区", "the same"),
    public("/now 西湖区", "what a voter can still do"),
    public("/topics 西湖区", "platforms by topic"),
    public("/topic 西湖区", "the same"),
    public("/compare 西湖区", "a district's candidates side by side"),
    public("/rights", "voters' and candidates' rights"),
    public("/incidents", "published incident summaries"),
    public("/cancel", "ends the sender's own flow"),
    public(
        "/forget",
        "deletes what the bot keeps about the sender (a group's followed places stay the "
        "group's); asks before giving up a claim",
    ),
    public("/subscriptions", "lists what this chat follows (on the web: nothing)"),
    public("/alerts", "the same"),
    public("/unsubscribe", "stops what this chat follows (on the web: nothing)"),
    Row(
        "/subscribe 西湖区",
        ROLES,
        REACHABLE,
        "follow a place in this chat; refused on the web, which cannot write later",
    ),
    Row(
        "/report",
        ROLES,
        PRIVATE,
        "an anonymous report; refused in a group and the room, whose members would see it",
    ),
    Row(
        "/status 1234 5678 9012 3456",
        ROLES,
        PRIVATE,
        "a report's state by its receipt (none is linked to a person); refused in a group "
        "and the room",
    ),
    Row(
        "/claim {code}",
        ROLES,
        PRIVATE,
        "a candidate's account claims its profile with a one-time code; refused in a group "
        "and the room, whose members saw the code, which no longer works",
        refusal_writes=frozenset({"claim_codes"}),
    ),
    Row("/update", CANDIDATES, PLACES, "propose an update for the candidacy one speaks for"),
    Row("/myprofile", CANDIDATES, PLACES, "one's own profile and what waits for review"),
    # Staff: moderators and administrators, in a private chat or the moderators' room; a
    # web session moderates nothing (its accounts do not last).
    Row(
        "/queue",
        STAFF,
        STAFF_PLACES,
        "the next item: reports in private, candidates' items in the room",
    ),
    Row("/queue quarantine", STAFF, ONLY_PRIVATE, "reports held over a flood cap: only in private"),
    Row(
        "/verify 9",
        STAFF,
        ONLY_PRIVATE,
        "a claim code for a candidacy: only in private, since whoever reads it can claim the "
        "profile (the room has members the bot never chose)",
    ),
    Row("/revoke 9", STAFF, STAFF_PLACES, "ends the claims on a candidacy"),
    Row("/trust 9", STAFF, STAFF_PLACES, "a candidacy's updates publish at once"),
    Row("/setdate 西湖区 2027-01-10", STAFF, STAFF_PLACES, "records an election day"),
    Row("/stats", STAFF, STAFF_PLACES, "report counts"),
    Row(
        "/mods list",
        ADMINS,
        ONLY_PRIVATE,
        "administrators: the staff, by their accounts on every platform: only in private, "
        "since the room has members the bot never chose",
    ),
    Row("/mods add memory:999", ADMINS, ONLY_PRIVATE, "administrators: a new moderator"),
    Row(
        "/audit",
        ADMINS,
        ONLY_PRIVATE,
        "administrators: the audit log, naming staff: only in private",
    ),
    # Buttons anyone may press anywhere: they show public information.
    public("menu:area", "the /start menu"),
    public("lang:en", "switch language"),
    public("area:330106", "a place"),
    public("sub:330100:0", "the places inside one"),
    public("dist:330106:0", "a page of a place's electoral districts"),
    public("cand:1", "a profile"),
    public("srch:8", "the next page of a search", before=("/search 王",)),
    public("el:330106", "a place's elections"),
    public("now:330106", "what a voter can still do there"),
    public("nowdd:330000:0", "choosing a place for /now"),
    public("tp:330106", "a place's topics"),
    public("tpc:education", "candidates on a topic", before=("/topics 西湖区",)),
    public("cmpa:330106", "a place's districts to compare"),
    public("cmpdd:330000:0", "choosing a place for /compare"),
    public("cmp:", "one district's candidates side by side", before=("/compare 西湖区",)),
    public("rights:", "one right and its article", before=("/rights",)),
    public("inc:330106", "a place's published incidents"),
    public("subdd:330000:0", "choosing a place to follow"),
    Row("alert:330106", ROLES, REACHABLE, "follow a place; refused on the web"),
    Row(
        "unalert:330106",
        frozenset({Role.citizen}),
        ONLY_PRIVATE,
        "stop following: only what this chat follows (here the citizen's private chat)",
    ),
    # A report's buttons: only at their own step of the presser's own report.
    Row("rpt:go", ROLES, PRIVATE, "begins a report after its safety note", before=("/report",)),
    Row("rpt:go", NOBODY, PLACES, "forged: no report begun"),
    Row("rptc:", ROLES, PRIVATE, "a report's kind", before=AT_CATEGORY),
    Row("rptc:ballot", NOBODY, PLACES, "forged: not at that step"),
    Row("rpta:3", ROLES, PRIVATE, "a report's place", before=AT_AREA),
    Row("rpta:330106", NOBODY, PLACES, "forged: not at that step"),
    Row("rptw:", ROLES, PRIVATE, "when it happened", before=AT_WHEN),
    Row("rptw:today", NOBODY, PLACES, "forged: not at that step"),
    Row("rptp:done", ROLES, PRIVATE, "no (more) photos", before=AT_PHOTOS),
    Row("rptp:done", NOBODY, PLACES, "forged: not at that step"),
    Row("rptpub:yes", ROLES, PRIVATE, "may a summary be published", before=AT_PUBLISH),
    Row("rptpub:yes", NOBODY, PLACES, "forged: not at that step"),
    Row("rpte:", ROLES, PRIVATE, "edit before sending", before=AT_CONFIRM),
    Row("rpte:description", NOBODY, PLACES, "forged: not at that step"),
    Row("rpts:send", ROLES, PRIVATE, "send the report", before=AT_CONFIRM),
    Row("rpts:send", NOBODY, PLACES, "forged: not at that step"),
    Row(
        "rstat:add",
        ROLES,
        PRIVATE,
        "add to a report opened by its receipt (whoever holds the receipt)",
        before=("/status {receipt}",),
    ),
    Row("rstat:add", NOBODY, PLACES, "forged: add to a report without opening it by receipt"),
    Row("rstatc:", ROLES, PRIVATE, "stop adding", before=("/status {receipt}", "@rstat:add")),
    Row("rstatc:", NOBODY, PLACES, "forged: cancel adding without adding"),
    # A candidate's own buttons: every press checks the account still speaks for one.
    Row("upd:statement", CANDIDATES, PLACES, "propose a statement", before=("/update",)),
    Row("upd:statement", CANDIDATES, PLACES, "forged: the same, for one's own candidacy only"),
    Row(
        "updt:", CANDIDATES, PLACES, "a platform point's topic", before=("/update", "@upd:platform")
    ),
    Row("updt:education", NOBODY, PLACES, "forged: not at that step"),
    Row("updw:yes", CANDIDATES, PLACES, "withdraw one's own candidacy (moderators confirm it)"),
    # Candidates' data, forget's question.
    Row(
        "forget:yes",
        CANDIDATES,
        PRIVATE,
        "gives up a claim, asked by /forget in a private chat only",
        before=("/forget",),
    ),
    Row("forget:yes", NOBODY, PLACES, "forged: nobody asked"),
    # Staff buttons: the role and the place on every press, and the item's claim.
    Row(
        "q:",
        STAFF,
        ONLY_PRIVATE,
        "a report's actions, on the item /queue claimed for the presser: only in private",
        before=("/queue",),
    ),
    Row("q:pub:1", NOBODY, PLACES, "forged: an item the presser does not hold"),
    Row(
        "qc:",
        STAFF,
        frozenset({Place.room}),
        "a candidate's item, claimed by /queue for the presser (in private, reports come first)",
        before=("/queue",),
    ),
    Row("qc:ok:1", NOBODY, PLACES, "forged: an item the presser does not hold"),
    Row(
        "sd:32",
        STAFF,
        STAFF_PLACES,
        "the place /setdate asked for among those its words name",
        before=("/setdate zl 2027-01-10",),
    ),
    Row("sd:330106", NOBODY, PLACES, "forged: no /setdate is waiting for a place"),
)
