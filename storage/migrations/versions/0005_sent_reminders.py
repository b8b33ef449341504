"""reminders sent, so that each goes out once

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 19:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sent_reminders",
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_sent_reminders_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("election_id", "what", "day", name=op.f("pk_sent_reminders")),
    )


def downgrade() -> None:
    op.drop_table("sent_reminders")
