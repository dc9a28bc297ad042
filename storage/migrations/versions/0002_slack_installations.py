"""slack installations and oauth states

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "slack_bots",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("team_id", sa.String(length=32), nullable=True),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("app_id", sa.String(length=32), nullable=True),
        sa.Column("enterprise_name", sa.String(length=200), nullable=True),
        sa.Column("team_name", sa.String(length=200), nullable=True),
        sa.Column("bot_token", sa.String(length=1000), nullable=False),
        sa.Column("bot_id", sa.String(length=32), nullable=False),
        sa.Column("bot_user_id", sa.String(length=32), nullable=False),
        sa.Column("bot_scopes", sa.Text(), nullable=True),
        sa.Column("bot_refresh_token", sa.String(length=1000), nullable=True),
        sa.Column("bot_token_expires_at", sa.DateTime(), nullable=True),
        sa.Column("installed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_bots")),
    )
    op.create_index(
        "ix_slack_bots_enterprise_team", "slack_bots", ["enterprise_id", "team_id"], unique=False
    )
    op.create_table(
        "slack_installations",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("team_id", sa.String(length=32), nullable=True),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("app_id", sa.String(length=32), nullable=True),
        sa.Column("enterprise_name", sa.String(length=200), nullable=True),
        sa.Column("enterprise_url", sa.String(length=500), nullable=True),
        sa.Column("team_name", sa.String(length=200), nullable=True),
        sa.Column("bot_token", sa.String(length=1000), nullable=True),
        sa.Column("bot_id", sa.String(length=32), nullable=True),
        sa.Column("bot_user_id", sa.String(length=32), nullable=True),
        sa.Column("bot_scopes", sa.Text(), nullable=True),
        sa.Column("bot_refresh_token", sa.String(length=1000), nullable=True),
        sa.Column("bot_token_expires_at", sa.DateTime(), nullable=True),
        sa.Column("user_token", sa.String(length=1000), nullable=True),
        sa.Column("user_scopes", sa.Text(), nullable=True),
        sa.Column("user_refresh_token", sa.String(length=1000), nullable=True),
        sa.Column("user_token_expires_at", sa.DateTime(), nullable=True),
        sa.Column("token_type", sa.String(length=32), nullable=True),
        sa.Column("installed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_installations")),
    )
    op.create_index(
        "ix_slack_installations_enterprise_team_user",
        "slack_installations",
        ["enterprise_id", "team_id", "user_id"],
        unique=False,
    )
    op.create_table(
        "slack_oauth_states",
        sa.Column("state", sa.String(length=100), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_slack_oauth_states")),
    )
    op.create_index(
        op.f("ix_slack_oauth_states_expires_at"),
        "slack_oauth_states",
        ["expires_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_slack_oauth_states_expires_at"), table_name="slack_oauth_states")
    op.drop_table("slack_oauth_states")
    op.drop_index("ix_slack_installations_enterprise_team_user", table_name="slack_installations")
    op.drop_table("slack_installations")
    op.drop_index("ix_slack_bots_enterprise_team", table_name="slack_bots")
    op.drop_table("slack_bots")
