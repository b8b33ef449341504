"""``candibot moderators add|remove|list`` and ``candibot audit verify``.

The commands that append audit rows sign a checkpoint of the chain afterwards, as the
running bot does every hour; ``audit verify`` checks the keyed chain and that it still
reaches the last checkpoint."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from bot.cli.common import database_option, migrated
from bot.config import Settings

if TYPE_CHECKING:
    from storage import audit

#: A volunteer enters candidate lists from the notices; a moderator approves each change.
ROLES = ("moderator", "admin", "volunteer")


def register(commands: Any) -> None:
    staff = commands.add_parser(
        "moderators", help="who moderates, administers, or enters candidate lists"
    )
    staff_commands = staff.add_subparsers(dest="staff_command", required=True)
    add = staff_commands.add_parser("add", help="make someone a moderator, an admin or a volunteer")
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
    verify = audit_commands.add_parser(
        "verify", help="check the keyed chain and the last checkpoint; name the first bad row"
    )
    database_option(verify)
    verify.set_defaults(run=verify_command)


async def staff_command(args: argparse.Namespace, settings: Settings) -> int:
    from bot.audit_checkpoints import AuditCheckpoints, checkpoint
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
            signing = AuditCheckpoints.from_settings(settings)
            platform, _, user_id = args.who.partition(":")
            if platform not in ("telegram", "matrix", "console") or not user_id:
                print("candibot: say who as telegram:<id> or matrix:@user:server", file=sys.stderr)
                return 2
            if args.staff_command == "add":
                await add_staff(unit.session, platform, user_id, StaffRole(args.role))
                await audit.record(unit.session, signing.key, "cli", "staff_add", "staff",
                                   args.who, role=args.role)  # fmt: skip
            elif not await remove_staff(unit.session, platform, user_id):
                print(f"candibot: {args.who} has no role", file=sys.stderr)
                return 1
            else:
                await audit.record(unit.session, signing.key, "cli", "staff_remove", "staff",
                                   args.who)  # fmt: skip
        verdict = await checkpoint(engine, signing)
    finally:
        await engine.dispose()
    print("done")
    if not verdict.intact:
        print("candibot: the audit log does not verify: run `candibot audit verify`",
              file=sys.stderr)  # fmt: skip
        return 1
    return 0


async def verify_command(args: argparse.Namespace, settings: Settings) -> int:
    from bot.config import load_audit_key
    from storage import audit
    from storage.audit_checkpoint import CheckpointError, read_checkpoint
    from storage.unit import unit_factory

    key = audit.AuditKey(load_audit_key(settings, create=False))  # missing: bot.cli says so
    try:
        mark = read_checkpoint(settings.audit_checkpoint_file, key)
    except CheckpointError as exc:
        print(f"checkpoint or key rejected: {exc}")
        return 1
    engine = await migrated(args.db or settings.database_url)
    try:
        async with unit_factory(engine)() as unit:
            verdict = await audit.verify(unit.session, key, mark)
    finally:
        await engine.dispose()
    print(describe(verdict, mark))
    return 0 if verdict.intact else 1


def describe(verdict: audit.Verdict, mark: audit.Checkpoint | None) -> str:
    """What ``audit verify`` says, first word first: "intact" or what went wrong."""
    from storage import audit

    problem = verdict.problem
    if problem == audit.Problem.broken:
        return f"broken at entry {verdict.first_broken} (after {verdict.entries} good entries)"
    if problem == audit.Problem.checkpoint:
        return (f"broken at entry {verdict.first_broken}: not the entry the last checkpoint "
                f"signed ({mark.at if mark else ''})")  # fmt: skip
    if problem == audit.Problem.deleted:
        assert mark is not None
        return (f"entries were deleted: the chain has {verdict.entries} entries and ends before "
                f"the last checkpoint ({mark.entries} entries up to entry {mark.head_id}, "
                f"{mark.at:%Y-%m-%d %H:%M} UTC)")  # fmt: skip
    if problem == audit.Problem.unsealed:
        return (f"unsealed: all {verdict.entries} entries predate the audit key and no keyed "
                "entry follows them, so a recomputed chain would look the same; start the "
                "bot once to seal them")  # fmt: skip
    notes = [f"intact: {verdict.entries} entries"]
    if verdict.legacy:
        notes.append(f"the first {verdict.legacy} are unkeyed legacy entries, sealed by the "
                     "keyed one after them")  # fmt: skip
    notes.append(f"the last checkpoint ({mark.entries} entries, {mark.at:%Y-%m-%d %H:%M} UTC) "
                 "holds" if mark else "no checkpoint yet: a deletion of the newest entries "
                 "would not show")  # fmt: skip
    return "; ".join(notes)
