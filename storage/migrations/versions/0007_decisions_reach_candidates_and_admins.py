"""moderators' decisions reach candidates, escalations reach administrators

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REJECTABLE = ("candidate_updates", "platform_point_revisions")
REACHABLE = ("staff", "candidate_accounts")


def upgrade() -> None:
    for table in REJECTABLE:
        op.add_column(table, sa.Column("reject_reason", sa.String(length=32), nullable=True))
        op.add_column(table, sa.Column("reject_note", sa.Text(), nullable=True))
    for table in REACHABLE:
        op.add_column(table, sa.Column("chat_id", sa.String(length=255), nullable=True))


def downgrade() -> None:
    for table in REACHABLE:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("chat_id")
    for table in REJECTABLE:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("reject_note")
            batch.drop_column("reject_reason")
