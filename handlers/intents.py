"""Plain messages outside any flow: greetings and questions are understood, names are
searched, and anything else is met with what the bot can do, never with "no candidate
called …".

The phrases live in ``handlers/data/intents.toml`` in both languages, so they can be
added to without touching code. The longest phrase found wins, so "我的举报" (my
report) is a question about a report's status, not a wish to file one.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

from bot.core.context import Replies
from bot.core.i18n import N_
from bot.core.markup import join, plain
from bot.core.replies import Button, Reply
from handlers import candidates, compare, elections, now, reports, rights, start
from handlers.base import Ctx, message_text, new_router
from handlers.names import looks_like_a_person

router = new_router()

NOT_UNDERSTOOD = N_("I did not understand that, sorry. Here is what I can do:")
THANKS = N_("You are welcome. Write to me whenever you need to.")
GREETING = N_("Hello! Type a candidate's name, or choose below.")
OKAY = N_("All right. Type a candidate's name whenever you like, or choose below.")
GOODBYE = N_("Goodbye! Write to me whenever you need to.")
WHERE = N_(
    "Your electoral district depends on where you are registered to vote: your township "
    "or street office. Find it step by step, or type its name."
)
STATUS = N_(
    "Send /status followed by the 16-digit receipt you were given when you sent the "
    "report. Without the receipt nobody, not even the moderators, can find it."
)
SUBSCRIBE = N_(
    "Send /subscribe followed by a place (a county, district or township) and I will tell "
    "you when its election dates are announced or change, and remind you before each "
    "deadline."
)
#: A message this short, in Chinese characters, may be a name or a place.
NAME_CHARS = 8
#: A message of at most this many Latin words may be a name in pinyin.
NAME_WORDS = 4
#: A word of pinyin, decomposed: letters with tone marks ("Lìxīn") or a tone number
#: ("li4"), joined by an apostrophe or a hyphen ("Xi'an", "Zeng-Lixin").
_PINYIN_WORD = re.compile(
    r"[A-Za-z][A-Za-z\u0300-\u036f]*[1-5]?(?:['’-][A-Za-z][A-Za-z\u0300-\u036f]*[1-5]?)*"
)


@dataclass(frozen=True, slots=True)
class Intent:
    name: str
    whole: frozenset[str]
    within: tuple[str, ...]


def normal(text: str) -> str:
    """Lower case, NFKC, punctuation and emoji gone, single spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(c if unicodedata.category(c)[0] in "LNZ" else " " for c in text)
    return re.sub(r"\s+", " ", kept).strip()


@cache
def intents() -> tuple[Intent, ...]:
    source = resources.files("handlers.data").joinpath("intents.toml").read_text("utf-8")
    return tuple(
        Intent(
            raw["name"],
            frozenset(normal(p) or p for p in raw.get("whole", [])),
            tuple(normal(p) for p in raw.get("within", [])),
        )
        for raw in tomllib.loads(source)["intent"]
    )


def _contains(text: str, phrase: str) -> bool:
    if phrase.isascii():
        return f" {phrase} " in f" {text} "
    return phrase.replace(" ", "") in text.replace(" ", "")


def intent_of(message: str) -> str | None:
    """The intent a message expresses, if any."""
    text = normal(message) or message.strip()
    best: tuple[int, str] | None = None
    for intent in intents():
        if text in intent.whole:
            return intent.name
        for phrase in intent.within:
            if _contains(text, phrase) and (best is None or len(phrase) > best[0]):
                best = (len(phrase), intent.name)
    return best[1] if best else None


def looks_like_a_name(message: str) -> bool:
    """A name or a place, in characters, pinyin or initials (not a number: lists are
    answered with their buttons)."""
    text = message.strip()
    if not text or any(unicodedata.category(c) in ("So", "Cs", "Co") for c in text):
        return False
    han = sum(1 for c in text if "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf")
    if han:
        rest = [c for c in text if not ("\u4e00" <= c <= "\u9fff") and c not in " ·•・"]
        return han <= NAME_CHARS and not rest
    words = unicodedata.normalize("NFKD", text).split()
    return len(words) <= NAME_WORDS and all(_PINYIN_WORD.fullmatch(w) for w in words)


async def answer(ctx: Ctx, intent: str) -> Replies:
    if intent == "greeting":
        return Reply.of(ctx._(GREETING), start.menu(ctx))
    if intent == "thanks":
        return Reply.of(ctx._(THANKS))
    if intent == "okay":
        return Reply.of(ctx._(OKAY), start.menu(ctx))
    if intent == "goodbye":
        return Reply.of(ctx._(GOODBYE))
    if intent == "where":
        return Reply.of(ctx._(WHERE), [[Button(ctx._("Find my district"), "menu:area")]])
    if intent == "when":
        return await elections.elections_reply(ctx, None)
    if intent == "now":
        return await now.now_reply(ctx, None)
    if intent == "compare":
        return await compare.compare_for_text(ctx, "")
    if intent == "report":
        return await reports.report_command(ctx)
    if intent == "rights":
        return rights.overview(ctx)
    if intent == "status":
        return Reply.of(ctx._(STATUS))
    if intent == "subscribe":
        return Reply.of(ctx._(SUBSCRIBE))
    return Reply.of(await start.help_text(ctx))


async def not_understood(ctx: Ctx) -> Reply:
    lines = [plain(ctx._(NOT_UNDERSTOOD)), await start.help_text(ctx)]
    return Reply.of(join(lines), start.menu(ctx))


@router.text
async def free_text(ctx: Ctx) -> Replies:
    text = message_text(ctx)
    intent = intent_of(text)
    if intent is not None:
        return await answer(ctx, intent)
    if looks_like_a_name(text):
        found = await candidates.find(ctx, text)
        if found is not None:
            return found
        if looks_like_a_person(text):
            return candidates.no_match(ctx, text)
    return await not_understood(ctx)
