"""What the subcommands share."""

from __future__ import annotations

import argparse

from sqlalchemy.ext.asyncio import AsyncEngine


def database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="database URL (default: CANDIBOT_DATABASE_URL)")


async def migrated(url: str) -> AsyncEngine:
    """An engine on ``url`` with the schema brought up to date."""
    from storage.db import make_engine, upgrade

    engine = make_engine(url)
    await upgrade(engine)
    return engine
