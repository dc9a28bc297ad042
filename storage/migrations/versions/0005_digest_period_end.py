"""digests.period_end: where the period a posted digest covered ended

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Left NULL for digests posted before: they count as covering their whole week.
    with op.batch_alter_table("digests") as batch:
        batch.add_column(sa.Column("period_end", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("digests") as batch:
        batch.drop_column("period_end")
