"""drafts and flood counters leave the database

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 14:30:00

Report drafts (``private_flows``) and per-sender flood counters (``report_counters``)
were keyed and sealed under keys derived from the identity key, which lies on the same
disk: a copy of both rebuilt any day's pseudonyms. They now live only in memory, under
random keys that expire (``bot.core.ephemeral``), so the tables go, with what is in them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("private_flows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_private_flows_updated_at"))
    op.drop_table("private_flows")
    op.drop_table("report_counters")


def downgrade() -> None:
    op.create_table(
        "report_counters",
        sa.Column("sender", sa.String(length=64), nullable=False),
        sa.Column("hour", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("sender", "hour", name=op.f("pk_report_counters")),
    )
    op.create_table(
        "private_flows",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_private_flows")),
    )
    with op.batch_alter_table("private_flows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_private_flows_updated_at"), ["updated_at"], unique=False
        )
