"""``candibot moderators add|remove|list`` and ``candibot audit verify``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.cli.common import database_option, migrated
from bot.config import Settings

ROLES = ("moderator", "admin")


def register(commands: Any) -> None:
    staff = commands.add_parser("moderators", help="who moderates (and who administers)")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True)
    add = staff_commands.add_parser("add", help="make someone a moderator or an admin")
    add.add_argument("who", help="telegram:<user id> or matrix:@user:server")
    add.add_argument("--role", choices=ROLES, default="moderator")
    remove = staff_commands.add_parser("remove", help="take someone's role away")
    remove.add_argument("who")
    listing = staff_commands.add_parser("list", help="everyone with a role")
    for command in (add, remove, listing):
        database_option(command)
        command.set_defaults(run=staff_command)

    audit = commands.add_parser("audit", help="the hash-chained audit log")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_commands.add_parser("verify", help="check the chain; name the first bad row")
    database_option(verify)
    verify.set_defaults(run=verify_command)


async def staff_command(args: argparse.Namespace, settings: Settings) -> int:
    from storage import audit
    from storage.models import StaffRole
    from storage.roles import add_staff, list_staff, remove_staff
    from storage.unit import unit_factory

    engine = await migrated(args.db or settings.database_url)
    try:
        async with unit_factory(engine)() as unit:
            if args.staff_command == "list":
                for member in await list_staff(unit.session):
                    print(f"{member.platform}:{member.user_id}\t{member.role}")
                return 0
            platform, _, user_id = args.who.partition(":")
            if platform not in ("telegram", "matrix", "console") or not user_id:
                print("candibot: say who as telegram:<id> or matrix:@user:server", file=sys.stderr)
                return 2
            if args.staff_command == "add":
                await add_staff(unit.session, platform, user_id, StaffRole(args.role))
                await audit.record(unit.session, "cli", "staff_add", "staff", args.who,
                                   role=args.role)  # fmt: skip
            elif not await remove_staff(unit.session, platform, user_id):
                print(f"candibot: {args.who} has no role", file=sys.stderr)
                return 1
            else:
                await audit.record(unit.session, "cli", "staff_remove", "staff", args.who)
    finally:
        await engine.dispose()
    print("done")
    return 0


async def verify_command(args: argparse.Namespace, settings: Settings) -> int:
    from storage import audit
    from storage.unit import unit_factory

    engine = await migrated(args.db or settings.database_url)
    try:
        async with unit_factory(engine)() as unit:
            verdict = await audit.verify(unit.session)
    finally:
        await engine.dispose()
    if verdict.intact:
        print(f"intact: {verdict.entries} entries")
        return 0
    print(f"broken at entry {verdict.first_broken} (after {verdict.entries} good entries)")
    return 1
