"""``candibot broadcast --area CODE --message-file F [--lang zh_CN|en] [--dry-run]``: an
operator's message to every chat that follows the area or a place inside it, queued in
the outbox (kind ``broadcast``, after every reply, announcement and alert) and audited,
in one transaction; the running bot delivers it.

Without ``--lang`` every subscriber gets the same text (write it in Chinese, or Chinese
first and English after it); with ``--lang``, only the subscribers who use that
language, so that two runs send each language its own text. Everything is checked
before anything is queued: the file (present, UTF-8, not blank, no control
characters), the area, and the length, with the bot's heading, against each platform's
limit for one message (Telegram 4,096 UTF-16 units, Matrix the adapter's 12,000
characters). The audit entry names the area, the counts and the text's SHA-256; never a
chat."""

from __future__ import annotations

import argparse
import hashlib
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli.common import database_option, migrated
from bot.config import Settings
from bot.core.i18n import LANGUAGES
from bot.core.replies import Reply

#: The exit code of a refusal: argparse's own for a bad invocation.
REFUSED = 2


class Refusal(Exception):
    """The broadcast is refused; the message says why, for the operator."""


def register(commands: Any) -> None:
    broadcast = commands.add_parser(
        "broadcast", help="an operator's message to everyone following an area and the places in it"
    )
    broadcast.add_argument("--area", required=True, help="the area's code (110108, 360124100)")
    broadcast.add_argument("--message-file", required=True, type=Path,
                           help="the text, UTF-8, as it should appear")  # fmt: skip
    broadcast.add_argument("--lang", choices=LANGUAGES,
                           help="only subscribers using this language (default: all)")  # fmt: skip
    broadcast.add_argument("--dry-run", action="store_true",
                           help="count the messages per platform, queue nothing")  # fmt: skip
    database_option(broadcast)
    broadcast.set_defaults(run=broadcast_command)


async def broadcast_command(args: argparse.Namespace, settings: Settings) -> int:
    try:
        text = read_message(args.message_file)
    except Refusal as refusal:
        return refuse(str(refusal))
    engine = await migrated(args.db or settings.database_url)
    try:
        return await _broadcast(engine, args, settings, text)
    except Refusal as refusal:
        return refuse(str(refusal))
    finally:
        await engine.dispose()


async def _broadcast(
    engine: AsyncEngine, args: argparse.Namespace, settings: Settings, text: str
) -> int:
    from bot.audit_checkpoints import AuditCheckpoints, checkpoint
    from bot.core.i18n import Catalogs
    from handlers.broadcast import compose, queue_broadcast, recipients
    from storage import audit
    from storage.areas import get_area
    from storage.unit import unit_factory

    catalogs = Catalogs()
    async with unit_factory(engine)() as unit:
        area = await get_area(unit.session, args.area.strip())
    if area is None:
        raise Refusal(f"no area has the code {args.area!r} (are the areas loaded? "
                      "`candibot areas load`)")  # fmt: skip
    for language in [args.lang] if args.lang else catalogs.languages:
        check_length(compose(catalogs, language, area.name, text), language)
    place = f"{area.code} {area.name}"
    if args.dry_run:
        async with unit_factory(engine)() as unit:
            who = await recipients(unit.session, area.code, args.lang)
        print(f"dry run: would queue {counted(who.by_platform())} for {place}; nothing queued")
        return 0
    signing = AuditCheckpoints.from_settings(settings)
    async with unit_factory(engine)() as unit:
        who = await recipients(unit.session, area.code, args.lang)
        if who.total:
            await queue_broadcast(unit.session, catalogs, who, area.name, text)
            await audit.record(
                unit.session, signing.key, "cli", "broadcast", "area", area.code,
                language=args.lang or "all", messages=who.total,
                platforms=who.by_platform(), chars=len(text),
                sha256=hashlib.sha256(text.encode()).hexdigest(),
            )  # fmt: skip
    if not who.total:
        print(f"nobody follows {place} or a place in it: nothing queued")
        return 0
    verdict = await checkpoint(engine, signing)
    print(f"queued {counted(who.by_platform())} for {place}; the running bot sends them")
    if not verdict.intact:
        print("candibot: the audit log does not verify: run `candibot audit verify`",
              file=sys.stderr)  # fmt: skip
        return 1
    return 0


def refuse(why: str) -> int:
    print(f"candibot broadcast: refused, nothing queued: {why}", file=sys.stderr)
    return REFUSED


def counted(by_platform: dict[str, int]) -> str:
    total = sum(by_platform.values())
    each = ", ".join(f"{platform} {count}" for platform, count in by_platform.items())
    return f"{total} message{'' if total == 1 else 's'}" + (f" ({each})" if each else "")


#: Line breaks and tabs are text; any other control character is not.
ALLOWED_CONTROLS = frozenset("\n\t")


def read_message(path: Path) -> str:
    """The message file's text, line ends made ``\\n`` and the ends of the text trimmed."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise Refusal(f"{path}: no such file") from None
    except OSError as exc:
        raise Refusal(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Refusal(f"{path}: not UTF-8 (byte {exc.start} is not valid); save it as "
                      "UTF-8 and try again") from None  # fmt: skip
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise Refusal(f"{path}: the message is empty")
    for number, char in enumerate(text):
        if char not in ALLOWED_CONTROLS and unicodedata.category(char) == "Cc":
            raise Refusal(f"{path}: a control character (U+{ord(char):04X}) at character "
                          f"{number + 1}")  # fmt: skip
    return text


@dataclass(frozen=True, slots=True)
class Limit:
    platform: str
    most: int
    unit: str
    measure: Callable[[str], int]
    messages: Callable[[Reply], int]


def limits() -> list[Limit]:
    """One message on each platform, as its adapter renders it."""
    from bot.adapters.matrix import render as matrix
    from bot.adapters.telegram import render as telegram

    return [
        Limit("Telegram", telegram.MAX_CHARS, "UTF-16 units", telegram.utf16_len,
              lambda reply: len(telegram.render(reply))),
        Limit("Matrix", matrix.MAX_TEXT_CHARS, "characters", len,
              lambda reply: len(matrix.render(reply))),
    ]  # fmt: skip


def check_length(reply: Reply, language: str) -> None:
    whole = reply.text.plain
    for limit in limits():
        if limit.messages(reply) > 1:
            raise Refusal(
                f"too long for one {limit.platform} message: {limit.measure(whole)} "
                f"{limit.unit} with the bot's heading in {language}, at most {limit.most}"
            )
