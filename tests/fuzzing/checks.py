"""What must hold of every reply and of the database, whatever was sent.

Each check raises AssertionError with what it found; the fuzzing properties
(tests/test_fuzz.py) run them after every event and at the end of every example.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

import jinja2
from babel.messages.pofile import read_po
from sqlalchemy import and_, exists, func, not_, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

import handlers
from bot.adapters.matrix import render as matrix
from bot.adapters.telegram import render as telegram
from bot.adapters.web import render as web
from bot.adapters.web.strings import page_words
from bot.core.i18n import Catalogs, po_path
from bot.core.markup import Text
from bot.core.replies import Reply
from storage import audit
from storage.crypto import ModeratorKeys
from storage.models import (
    Area,
    AuditEntry,
    Base,
    CandidateUpdate,
    Election,
    ElectoralDistrict,
    OutboxMessage,
    Person,
    PlatformPoint,
    PlatformPointRevision,
    PublishedIncident,
    Report,
    ReportCategory,
    ReportStatus,
    ReportWhen,
)
from storage.moderation import for_review
from storage.unit import unit_factory

# Markup ---------------------------------------------------------------------


class _Parsed(HTMLParser):
    """Tags, attributes and character data of an HTML fragment, entities decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.closed: list[str] = []
        self.data: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        self.closed.append(tag)

    def handle_data(self, data: str) -> None:
        self.data.append(data)

    def handle_comment(self, data: str) -> None:
        raise AssertionError(f"a comment in rendered HTML: {data!r}")

    def handle_decl(self, decl: str) -> None:
        raise AssertionError(f"a declaration in rendered HTML: {decl!r}")

    def handle_pi(self, data: str) -> None:
        raise AssertionError(f"a processing instruction in rendered HTML: {data!r}")

    def unknown_decl(self, data: str) -> None:
        raise AssertionError(f"an unknown declaration in rendered HTML: {data!r}")


def parse(fragment: str) -> _Parsed:
    parsed = _Parsed()
    parsed.feed(fragment)
    parsed.close()
    return parsed


def _tags_allowed(parsed: _Parsed, allowed: dict[str, set[str]], where: str, fragment: str) -> None:
    for tag, attrs in parsed.tags:
        assert tag in allowed, f"{where}: tag <{tag}> in {fragment[:300]!r}"
        names = {name for name, _ in attrs}
        assert names <= allowed[tag], f"{where}: attributes {names} on <{tag}>"
    voids = {"br"}
    opened = [tag for tag, _ in parsed.tags if tag not in voids]
    assert sorted(opened) == sorted(parsed.closed), f"{where}: unbalanced tags in {fragment!r}"


#: Telegram's HTML parse mode takes these tags; the bot uses only the first four.
TELEGRAM_TAGS: dict[str, set[str]] = {"b": set(), "i": set(), "code": set(), "a": {"href"}}
MATRIX_TAGS: dict[str, set[str]] = {**TELEGRAM_TAGS, "br": set(), "ol": set(), "li": set()}
WEB_TAGS: dict[str, set[str]] = {
    "p": {"class"}, "strong": set(), "em": set(), "code": {"tabindex"}, "a": {"href", "rel"},
}  # fmt: skip


def check_telegram(reply: Reply) -> None:
    """Each message parses as Telegram HTML with only its tags, says exactly the reply's
    text (so no text became markup), fits 4,096 UTF-16 units, and every button fits."""
    for message in telegram.render(reply):
        parsed = parse(message.html)
        _tags_allowed(parsed, TELEGRAM_TAGS, "telegram", message.html)
        assert "".join(parsed.data) == message.plain, f"telegram text changed: {message.html!r}"
        assert telegram.utf16_len(message.plain) <= telegram.MAX_CHARS
    for row in reply.buttons:
        for button in row:
            assert button.label.strip(), "a button without a label"
            assert len(button.payload.encode()) <= 64


def check_matrix(reply: Reply) -> None:
    """formatted_body has only our tags and carries the text and the options as given."""
    for message in matrix.render(reply):
        content = message.content()
        body = content["formatted_body"]
        parsed = parse(body)
        _tags_allowed(parsed, MATRIX_TAGS, "matrix", body)
        expected = message.text.plain.replace("\n", "") + "".join(o.label for o in message.options)
        assert "".join(parsed.data) == expected, f"matrix text changed: {body!r}"
        assert len(content["body"]) <= matrix.MAX_TEXT_CHARS + 64 * (len(message.options) + 1)


_WEB = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(web.__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_CATALOGS = Catalogs()


def web_html(reply: Reply, language: str) -> str:
    """The bubble as the web chat renders it, with its own template."""
    words = page_words(_CATALOGS.gettext(language), minutes=30, size_mb=10)
    macro = _WEB.get_template("text.html").module.bubble  # type: ignore[attr-defined]
    return str(macro(web.bubble(False, reply), words))


def check_web(reply: Reply, language: str) -> None:
    """No element or attribute comes from text: the page shows exactly the reply's words
    (and its own), links lead only to the web."""
    html = web_html(reply, language)
    parsed = parse(html)
    _tags_allowed(parsed, WEB_TAGS, "web", html)
    for tag, attrs in parsed.tags:
        for name, value in attrs:
            if tag == "a" and name == "href":
                assert (value or "").lower().startswith(("http://", "https://")), value
            elif tag == "p" and name == "class":
                assert value in ("keepsake", "keepsake-hint", "picture"), value
    words = page_words(_CATALOGS.gettext(language), minutes=30, size_mb=10)
    shown = "".join(parsed.data)
    expected = "".join(
        "".join(piece.text for piece in line.pieces) + (words["keepsake"] if line.keepsake else "")
        for line in web.lines(reply.text)
    )
    if reply.image is not None:
        expected += "[" + words["picture"].replace("{what}", reply.image_alt or "…") + "]"
    assert _squeezed(shown) == _squeezed(expected), f"web text changed: {html!r}"


_SPACE = re.compile(r"\s+")


def _squeezed(value: str) -> str:
    return _SPACE.sub("", value)


def check_markup(reply: Reply, language: str) -> None:
    check_telegram(reply)
    check_matrix(reply)
    check_web(reply, language)


# Language -------------------------------------------------------------------

#: Chinese characters (and the CJK punctuation and full-width forms around them).
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+")
HANZI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002ffff]")
#: Three English words in a row: a sentence left untranslated.
ENGLISH = re.compile(r"[A-Za-z]{2,}(?:[ ,;:'’-]+[A-Za-z]{2,}){2,}")
#: A code's name shown instead of its words (voters_joint, view_stats).
IDENTIFIER = re.compile(r"\b[a-z]+_[a-z_]+\b")
URL = re.compile(r"https?://\S+")
#: Words every interface shows as they are: the languages' own names.
ALWAYS = ("中文", "English", "candibot")


class Known:
    """Text that is not the bot's own words: what users sent and what the database
    holds (names, places, sources, platforms), which a reply may quote in any script."""

    def __init__(self) -> None:
        self.said: list[str] = []
        self.stored: list[str] = []

    def quoted(self, value: str) -> bool:
        return any(value in known for known in (*self.said, *self.stored, *ALWAYS))

    def strip(self, value: str) -> str:
        """``value`` without the quoted text in it, longest first. (Short words of
        English are left: "on" is inside too many of the bot's own words.)"""
        for known in sorted({*self.said, *self.stored, *ALWAYS}, key=len, reverse=True):
            if len(known.strip()) >= 2 and (len(known) >= 8 or not known.isascii()):
                value = value.replace(known, " ")
        return URL.sub(" ", value)

    async def load(self, engine: AsyncEngine) -> None:
        columns = (
            Area.name, Person.name, ElectoralDistrict.name, Election.source,
            PlatformPointRevision.text, CandidateUpdate.text, CandidateUpdate.place,
            PublishedIncident.summary,
        )  # fmt: skip
        stored: set[str] = set()
        async with engine.connect() as connection:
            for column in columns:
                stored.update(v for v in await connection.scalars(select(column)) if v)
            for aliases in await connection.scalars(select(Person.aliases)):
                stored.update(aliases or ())
        self.stored = sorted(stored)


def _catalog_writes(language: str, pattern: re.Pattern[str]) -> list[str]:
    """What a catalog's translations write in the other script on purpose: examples of
    what to type in English (王芳), formats and words to type in Chinese (YYYY-MM-DD)."""
    with po_path(language).open("rb") as fh:
        catalog = read_po(fh)
    runs: set[str] = set()
    for message in catalog:
        for string in message.string if isinstance(message.string, tuple) else [message.string]:
            runs.update(pattern.findall(string or ""))
    return sorted(runs, key=len, reverse=True)


def _data_writes(suffix: str, pattern: re.Pattern[str]) -> list[str]:
    """Likewise in the handlers' texts (handlers/data/*.toml): a legal term in Chinese
    after its English, "a primary (预选)"."""
    runs: set[str] = set()

    def walk(value: object, key: str) -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                walk(item, name)
        elif isinstance(value, list):
            for item in value:
                walk(item, key)
        elif isinstance(value, str) and key.endswith(suffix):
            runs.update(pattern.findall(value))

    for path in (Path(handlers.__file__).parent / "data").glob("*.toml"):
        walk(tomllib.loads(path.read_text(encoding="utf-8")), "")
    return sorted(runs, key=len, reverse=True)


#: Chinese in the English texts, English in the Chinese ones.
ON_PURPOSE = {
    language: sorted({*_catalog_writes(language, pattern), *_data_writes(suffix, pattern)},
                     key=len, reverse=True)  # longest first: the whole term, not its start
    for language, suffix, pattern in (("en", "_en", CJK), ("zh_CN", "_zh", ENGLISH))
}  # fmt: skip


def _without(value: str, parts: list[str]) -> str:
    for part in parts:
        value = value.replace(part, " ")
    return value


def _pieces(text: Text) -> Iterator[str]:
    for span in text.spans:
        yield from (line for line in span.text.split("\n") if line.strip())


def check_language(reply: Reply, language: str, known: Known) -> None:
    """A Chinese reply is in Chinese with no English sentence of the bot's own; an
    English one has no Chinese but in names, places and quoted text."""
    own = [_without(known.strip(piece), ON_PURPOSE[language])
           for piece in _pieces(reply.text) if not known.quoted(piece)]  # fmt: skip
    for piece in own:
        leaked = IDENTIFIER.search(piece)
        assert leaked is None, f"a code's name {leaked.group()!r} shown in {piece!r}"
    if language == "zh_CN":
        assert HANZI.search(reply.text.plain) or not reply.text, (
            f"a Chinese reader got no Chinese: {reply.text.plain[:300]!r}"
        )
        for piece in own:
            english = ENGLISH.search(piece)
            assert english is None, f"English {english.group()!r} for a Chinese reader: {piece!r}"
    else:
        labels = [b.label for row in reply.buttons for b in row]
        for piece in [*own, *(_without(known.strip(label), ON_PURPOSE[language])
                              for label in labels)]:  # fmt: skip
            chinese = HANZI.search(piece)
            assert chinese is None, f"Chinese {piece!r} for an English reader"


# Logs -----------------------------------------------------------------------


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def logged_errors() -> Iterator[list[logging.LogRecord]]:
    """Every ERROR logged meanwhile: the dispatcher turns an exception into a polite
    reply, so a test that only read replies would not see it."""
    handler = _Errors()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler.records
    finally:
        root.removeHandler(handler)


def describe(records: Iterable[logging.LogRecord]) -> str:
    return "; ".join(f"{r.name}: {r.getMessage()}" for r in records)


# The database ---------------------------------------------------------------


async def check_database(
    engine: AsyncEngine, audit_key: audit.AuditKey, keys: ModeratorKeys | None
) -> None:
    """Foreign keys hold (checked row by row, not trusted to the constraints), no
    report or platform point is half-written, and the audit chain verifies."""
    async with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            broken = list(await connection.execute(text("PRAGMA foreign_key_check")))
            assert not broken, f"foreign_key_check: {broken}"
        else:
            unchecked = list(
                await connection.scalars(
                    text(
                        "SELECT conname FROM pg_constraint WHERE contype = 'f' "
                        "AND NOT convalidated AND connamespace = current_schema()::regnamespace"
                    )
                )
            )
            assert not unchecked, f"foreign keys not validated: {unchecked}"
        for table in Base.metadata.sorted_tables:
            for constraint in table.foreign_key_constraints:
                parent = constraint.referred_table.alias("parent")
                pairs = [(element.parent, parent.c[element.column.name])
                         for element in constraint.elements]  # fmt: skip
                orphans = await connection.scalar(
                    select(func.count())
                    .select_from(table)
                    .where(
                        and_(*(child.is_not(None) for child, _ in pairs)),
                        not_(
                            exists().where(and_(*(child == column for child, column in pairs)))
                            .select_from(parent)
                        ),
                    )
                )  # fmt: skip
                assert not orphans, f"{orphans} rows of {table.name} point nowhere ({constraint})"
        childless = await connection.scalar(
            select(func.count())
            .select_from(PlatformPoint)
            .where(~exists().where(PlatformPointRevision.point_id == PlatformPoint.id))
        )
        assert not childless, f"{childless} platform points without any wording"
        for body in await connection.scalars(select(OutboxMessage.body)):
            queued = Reply.from_json(body)
            check_telegram(queued)
            check_matrix(queued)
    async with unit_factory(engine)() as unit:
        for report in await unit.session.scalars(select(Report)):
            assert report.category in {c.value for c in ReportCategory}, report.category
            assert report.happened in {w.value for w in ReportWhen}, report.happened
            assert report.status in {s.value for s in ReportStatus}, report.status
            assert report.body and report.sealed_key, f"report {report.id} has no body"
            if keys is not None and keys.private is not None:
                shown = await for_review(unit.session, report, keys)  # it and its messages open
                assert shown.description.strip(), f"report {report.id} says nothing"
        verdict = await audit.verify(unit.session, audit_key)
        entries = await unit.session.scalar(select(func.count()).select_from(AuditEntry))
        assert verdict.intact and verdict.entries == entries, f"audit chain: {verdict}"
