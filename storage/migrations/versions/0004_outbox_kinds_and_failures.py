"""the outbox learns kinds, priorities, retries and failures

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 18:50:00

A message that cannot be sent no longer blocks the ones behind it or is retried
forever: it is retried with backoff, then marked failed with the reason. Replies go
before announcements before alerts before broadcasts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="announcement")
        )
        batch_op.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("not_before", storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("failed", sa.String(length=255), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_outbox_queue"), ["platform", "priority", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_queue"))
        batch_op.drop_column("failed")
        batch_op.drop_column("not_before")
        batch_op.drop_column("attempts")
        batch_op.drop_column("priority")
        batch_op.drop_column("kind")
