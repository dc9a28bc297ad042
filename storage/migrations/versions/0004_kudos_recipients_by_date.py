"""kudos_recipients by date: the digest reads a week's receivers by (community, created_at)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Without it PostgreSQL joins the week's kudos to a scan of every receiver row ever.
    op.create_index(
        "ix_kudos_recipients_community_created",
        "kudos_recipients",
        ["community_id", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_kudos_recipients_community_created", table_name="kudos_recipients")
