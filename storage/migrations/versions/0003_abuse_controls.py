"""abuse controls: a per-giver burst limit per community

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing communities get the default of 5 kudos a minute per giver.
    with op.batch_alter_table("communities") as batch:
        batch.add_column(
            sa.Column("burst_kudos_limit", sa.Integer(), nullable=False, server_default="5")
        )


def downgrade() -> None:
    with op.batch_alter_table("communities") as batch:
        batch.drop_column("burst_kudos_limit")
