"""The law's checks on a candidate list entered in chat, each naming its article. Refused:
a name not in Chinese characters (it could not be checked against the committee's list,
Art. 32), a joint nomination by fewer than ten voters (Art. 30), seats outside one to
three (Art. 25). Recorded with a flag, since the notice may really say so and that is
worth knowing: a district's candidates against its seats (Arts. 31 and 32), counted as
the import counts them (storage/exchange/checks.py)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from bot.core.i18n import N_
from bot.core.markup import Text, fmt
from handlers.base import Ctx
from storage.exchange.fields import JOINT_NOMINATORS, PERSON_NAME_LENGTH
from storage.list_changes import Contest
from storage.search_keys import has_hanzi, simplified

ART_25, ART_30, ART_31, ART_32 = N_("Art. 25"), N_("Art. 30"), N_("Art. 31"), N_("Art. 32")

LATIN_NAME = N_(
    "Refused ({article}): “{name}” is in Latin letters. Type the name in Chinese "
    "characters, as the election committee's list of candidates prints it."
)
NOT_A_NAME = N_(
    "Refused ({article}): “{name}” is not a name in Chinese characters. Type it as the "
    "election committee's list of candidates prints it."
)
TOO_LONG = N_("Refused: a name has at most {max} characters.")
FEW_NOMINATORS = N_(
    "Refused ({article}): a joint nomination needs at least ten voters, and {count} is "
    "fewer. Type the number the notice gives, or “unknown”."
)
BAD_SEATS = N_(
    "Refused ({article}): an electoral district elects one to three deputies, not {count}."
)
OVER_DOUBLE = N_(
    "Flagged ({article}): the official list would have {count} candidates for {seats} "
    "seats; the law allows at most twice as many candidates as seats."
)
NOT_MORE_LISTED = N_(
    "Flagged ({article}): the official list would have {count} candidates for {seats} "
    "seats; the law asks for more candidates than seats, by one third up to double. Add "
    "the others if the notice lists them."
)
NOT_MORE_STANDING = N_(
    "Flagged ({article}): {count} candidates would stand for {seats} seats so far; the "
    "law asks for more candidates than seats. Add the others if the notice lists them."
)
PRIMARY = N_(
    "Flagged ({article}): {count} nominees for {seats} seats are more than twice the "
    "seats; unless the voters agree, a primary (预选) decides the official list."
)
#: Characters a name may hold besides Chinese ones: the dot of names such as 阿依古丽·买买提.
NAME_DOTS = frozenset("·•・")


@dataclass(frozen=True, slots=True)
class Problem:
    """A refusal or a flag: a msgid and its values (``article`` is a msgid too)."""

    message: str
    article: str = ""
    values: dict[str, str] = field(default_factory=dict)

    def render(self, ctx: Ctx) -> Text:
        return fmt(ctx._(self.message), article=ctx._(self.article) if self.article else "",
                   **self.values)  # fmt: skip


def _latin(char: str) -> bool:
    return char.isalpha() and unicodedata.name(char, "").startswith("LATIN")


def checked_name(typed: str) -> str | Problem:
    """The name in Simplified characters, or why it is refused."""
    name = unicodedata.normalize("NFKC", typed).strip()
    name = "".join(name.split())  # 王 芳 is 王芳
    if any(_latin(c) for c in name):
        return Problem(LATIN_NAME, ART_32, {"name": typed.strip()})
    if not has_hanzi(name) or any(not has_hanzi(c) and c not in NAME_DOTS for c in name):
        return Problem(NOT_A_NAME, ART_32, {"name": typed.strip()})
    if len(name) > PERSON_NAME_LENGTH:
        return Problem(TOO_LONG, values={"max": str(PERSON_NAME_LENGTH)})
    return simplified(name)


def nominators_problem(count: int) -> Problem | None:
    if count < JOINT_NOMINATORS:
        return Problem(FEW_NOMINATORS, ART_30, {"count": str(count)})
    return None


def seats_problem(count: int) -> Problem | None:
    if not 1 <= count <= 3:
        return Problem(BAD_SEATS, ART_25, {"count": str(count)})
    return None


def contest_flags(contest: Contest) -> list[Problem]:
    """What Arts. 31 and 32 say about a district's candidates and seats. With an official
    list, its candidates are counted; before one, everyone not withdrawn. A district
    nobody stands in yet is not flagged."""
    seats = contest.seats
    counted = {"seats": str(seats)}
    if contest.listed:
        counted["count"] = str(contest.listed)
        if contest.listed > 2 * seats:
            return [Problem(OVER_DOUBLE, ART_31, counted)]
        if contest.listed <= seats:
            return [Problem(NOT_MORE_LISTED, ART_31, counted)]
        return []
    counted["count"] = str(contest.standing)
    if 0 < contest.standing <= seats:
        return [Problem(NOT_MORE_STANDING, ART_31, counted)]
    if contest.standing > 2 * seats:
        return [Problem(PRIMARY, ART_32, counted)]
    return []
