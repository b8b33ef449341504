"""candidacies carry their source and the day it was checked; changes entered in chat
wait for approval; photos of the election committees' notices; the volunteer role

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 10:00:00

Existing candidacies take their election's source and the day it was last updated:
what they were imported or loaded from, and when (the demo's read "演示数据 / demo data").
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES_BEFORE = "role IN ('admin', 'moderator')"
ROLES_AFTER = "role IN ('admin', 'moderator', 'volunteer')"


def _staff(roles: str) -> sa.Table:
    """The staff table as 0001 made it and 0007 added to, with ``roles`` as its check: SQLite's batch mode
    copies the table from this rather than trusting the reflection of a CHECK."""
    return sa.Table(
        "staff",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("added_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("chat_id", sa.String(length=255), nullable=True),
        sa.CheckConstraint(roles, name=op.f("ck_staff_role_allowed")),
        sa.PrimaryKeyConstraint("id", name="pk_staff"),
        sa.UniqueConstraint("platform", "user_id", name="uq_staff_identity"),
    )


def _roles(before: str, after: str) -> None:
    with op.batch_alter_table("staff", copy_from=_staff(before)) as batch:
        batch.drop_constraint(op.f("ck_staff_role_allowed"), type_="check")
        batch.create_check_constraint(op.f("ck_staff_role_allowed"), after)


def upgrade() -> None:
    op.create_table(
        "notice_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_photos")),
        sa.UniqueConstraint("sha256", name=op.f("uq_notice_photos_sha256")),
    )
    op.create_table(
        "list_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("proposer", sa.String(length=300), nullable=False),
        sa.Column("change", sa.JSON(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("approvals", sa.JSON(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("candidacy_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('add', 'edit')", name=op.f("ck_list_changes_kind_allowed")),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')",
            name=op.f("ck_list_changes_status_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["candidacy_id"],
            ["candidacies.id"],
            name=op.f("fk_list_changes_candidacy_id_candidacies"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_changes")),
    )
    with op.batch_alter_table("list_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_list_changes_status"), ["status"], unique=False)
    op.add_column("candidacies", sa.Column("source", sa.Text(), server_default="", nullable=False))
    op.add_column("candidacies", sa.Column("checked_on", sa.Date(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":  # one join, not a subquery per row
        op.execute(
            "UPDATE candidacies SET source = e.source, "
            "checked_on = (e.updated_at AT TIME ZONE 'UTC')::date "
            "FROM electoral_districts d JOIN elections e ON e.id = d.election_id "
            "WHERE d.id = candidacies.district_id"
        )
    else:
        of_election = (
            "FROM elections e JOIN electoral_districts d ON d.election_id = e.id "
            "WHERE d.id = candidacies.district_id"
        )
        op.execute(
            f"UPDATE candidacies SET source = (SELECT e.source {of_election}), "
            f"checked_on = (SELECT date(substr(e.updated_at, 1, 10)) {of_election})"
        )
    _roles(ROLES_BEFORE, ROLES_AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM staff WHERE role = 'volunteer'")
    _roles(ROLES_AFTER, ROLES_BEFORE)
    with op.batch_alter_table("candidacies") as batch:
        batch.drop_column("checked_on")
        batch.drop_column("source")
    with op.batch_alter_table("list_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_list_changes_status"))
    op.drop_table("list_changes")
    op.drop_table("notice_photos")
