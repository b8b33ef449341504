"""What the subcommands share, and the one place where an operator's mistake becomes one
line that says how to fix it (``explain``), instead of a traceback."""

from __future__ import annotations

import argparse
import socket
import sqlite3
import tomllib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings

#: The database when neither --db nor CANDIBOT_DATABASE_URL names one: its directory
#: (var/) is created, private, on first use.
DEFAULT_DATABASE_URL: str = Settings.model_fields["database_url"].default

#: A URL's shape, for the messages that ask for one.
URL_FORMS = "sqlite:///path/to/candibot.sqlite or postgresql://user@host/database"


class OperatorError(Exception):
    """Something the operator can fix; the message says what and how, in one line."""


def database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="database URL (default: CANDIBOT_DATABASE_URL)")
    uses_database(parser)


def uses_database(parser: argparse.ArgumentParser) -> None:
    """The command works on ``--db`` or else the configured database: ``bot.cli`` checks
    that URL, and prepares the default one, before the command runs."""
    parser.set_defaults(uses_database=True)


async def migrated(url: str) -> AsyncEngine:
    """An engine on ``url`` with the schema brought up to date."""
    from storage.db import make_engine, upgrade

    engine = make_engine(url)
    await upgrade(engine)
    return engine


@dataclass(frozen=True)
class Target:
    """The database a command is about to use, and where its URL came from."""

    url: str
    #: "--db" or "CANDIBOT_DATABASE_URL": what the operator corrects.
    source: str

    @property
    def parsed(self) -> URL | None:
        try:
            return make_url(self.url)
        except ArgumentError:
            return None

    @property
    def sqlite_file(self) -> Path | None:
        parsed = self.parsed
        if parsed is None or parsed.get_backend_name() != "sqlite":
            return None
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            return None
        return Path(database)


def target(args: argparse.Namespace, settings: Settings) -> Target | None:
    """The database the command will use, if it uses the configured one (or ``--db``)."""
    explicit = getattr(args, "db", None)
    if explicit:
        return Target(explicit, "--db")
    if getattr(args, "uses_database", False):
        return Target(settings.database_url, "CANDIBOT_DATABASE_URL")
    return None


def prepare(database: Target) -> None:
    """Refuse a URL candibot cannot use before anything connects, and create the
    directory of the default SQLite file (mode 0700). Another missing directory is an
    error, not created: it may be a volume that is not mounted, and a database written
    beside it would land on the wrong disk."""
    parsed = database.parsed
    if parsed is None:
        raise OperatorError(f"{database.source} is not a database URL: give {URL_FORMS}")
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise OperatorError(
            f"{database.source} names a {backend} database; candibot runs on "
            "SQLite (sqlite:///path) or PostgreSQL (postgresql://user@host/database)"
        )
    path = database.sqlite_file
    if path is None or path.parent.is_dir():
        return
    if database.url == DEFAULT_DATABASE_URL:
        path.parent.mkdir(mode=0o700, parents=True)
        return
    raise OperatorError(
        f"the directory {path.parent} of the SQLite database does not exist: create it "
        f"(mkdir -m 700 {path.parent}) or correct {database.source}"
    )


def explain(error: BaseException, database: Target | None, config_file: str) -> str:
    """What went wrong and how to fix it, in one line, for the errors an operator can
    fix; anything else is named as unexpected, with the way to see its traceback."""
    from alembic.util.exc import CommandError
    from pydantic import ValidationError

    from bot.config import KeyProblem, MissingKeyFile
    from storage.audit_checkpoint import CheckpointError
    from storage.crypto import KeyFileError

    if isinstance(error, OperatorError | KeyProblem | MissingKeyFile | KeyFileError):
        return str(error)
    if isinstance(error, CheckpointError):
        return f"the audit checkpoint is rejected: {error}"
    if isinstance(error, ValidationError):
        return "; ".join(_setting(e) for e in error.errors()) + (
            f": correct it in the environment or in {config_file}"
        )
    if isinstance(error, tomllib.TOMLDecodeError):
        return f"{config_file} is not valid TOML ({error}): correct it, or set CANDIBOT_CONFIG"
    if isinstance(error, CommandError):
        return _migration(error, database)
    if database is not None:
        said = _database(error, database)
        if said:
            return said
    if isinstance(error, OSError) and error.filename:
        return (
            f"cannot use {error.filename}: {error.strerror}; check the path (and its setting) "
            "and that this user may read and write there"
        )
    first = (str(error).strip().splitlines() or [""])[0][:300]
    return (
        f"unexpected {type(error).__name__}: {first} (run again with --debug to see where; "
        "please report it)"
    )


def _setting(error: object) -> str:
    details = dict(error)  # type: ignore[call-overload]
    name = "_".join(str(part) for part in details.get("loc", ()))
    return f"the setting CANDIBOT_{name.upper()} is invalid ({details.get('msg', '')})"


def _migration(error: Exception, database: Target | None) -> str:
    text = str(error)
    source = database.source if database else "CANDIBOT_DATABASE_URL"
    if "Can't locate revision" in text:
        revision = text.rpartition(" ")[2].strip("'\"")
        return (
            f"the database is at schema revision {revision}, which this candibot does not "
            f"know: it was migrated by a newer candibot; run that version, or correct {source}"
        )
    return f"the database's schema cannot be brought up to date: {text} ({source})"


#: PostgreSQL error codes (SQLSTATE) an operator can act on.
_NO_DATABASE, _NO_SCHEMA, _NO_TABLE = "3D000", "3F000", "42P01"
_LOGIN = ("28000", "28P01")
_PRIVILEGE = "42501"
_STARTING = ("57P03",)


def _database(error: BaseException, database: Target) -> str | None:
    """An error from the database or the way to it, said for the operator; None if not."""
    source = database.source
    parsed = database.parsed
    if parsed is not None and parsed.get_backend_name() == "postgresql":
        where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
        if isinstance(error, ConnectionError | socket.gaierror | TimeoutError):
            reason = {
                ConnectionRefusedError: "connection refused",
                socket.gaierror: "no such host",
                TimeoutError: "timed out",
            }.get(type(error), getattr(error, "strerror", None) or type(error).__name__)
            return f"cannot reach PostgreSQL at {where} ({reason}): start it, or correct {source}"
    if not isinstance(error, DBAPIError):
        return None
    code = getattr(error.orig, "sqlstate", None)
    message = _driver_message(error.orig)
    name = parsed.database if parsed is not None else None
    if code == _NO_DATABASE:
        return f"PostgreSQL has no database {name}: create it (createdb {name}) or correct {source}"
    if code == _NO_SCHEMA:
        schema = parsed.query.get("search_path", "") if parsed is not None else ""
        return (
            f"PostgreSQL has no schema {schema} ({message}): create it "
            f"(CREATE SCHEMA {schema}) or correct {source}"
        )
    if code in _LOGIN:
        return f"PostgreSQL refused the login: {message}; check the user and password in {source}"
    if code == _PRIVILEGE:
        return f"PostgreSQL refused: {message}; grant the user rights on its database and schema"
    if code in _STARTING:
        return f"PostgreSQL is not accepting connections yet ({message}): try again shortly"
    if code == _NO_TABLE or "no such table" in message:
        return f"the database has no candibot tables: run `candibot db upgrade` ({source})"
    path = database.sqlite_file
    if isinstance(error.orig, sqlite3.Error) or path is not None:
        shown = path or "(in memory)"
        if "unable to open database file" in message:
            return (
                f"cannot open the SQLite database {shown}: its directory must exist and "
                f"this user must be able to write there; or correct {source}"
            )
        if "locked" in message:
            return (
                f"the SQLite database {shown} is locked by another process (a running bot "
                "or import): try again when it is done"
            )
        if "not a database" in message:
            return f"{shown} is not a SQLite database: correct {source}"
        if "readonly" in message:
            return f"cannot write the SQLite database {shown}: give this user write access"
    return f"the database refused: {message} ({source})"


def _driver_message(error: BaseException | None) -> str:
    """The driver's own words, without SQLAlchemy's wrapping of the class name."""
    text = str(error or "").strip().splitlines()[0] if str(error or "").strip() else ""
    if text.startswith("<class"):
        text = text.partition(">: ")[2] or text
    return text
