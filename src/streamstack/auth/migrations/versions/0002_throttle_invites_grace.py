"""Attempt counters (sign-in and registration throttling), invites, rotation grace."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel.migrations import timestamp

revision: str = "auth_0002"
down_revision: str | None = "auth_0001"


def upgrade() -> None:
    with op.batch_alter_table("auth_refresh_tokens") as batch:
        batch.add_column(sa.Column("successor", sa.LargeBinary(), nullable=True))
    op.create_table(
        "auth_attempt_counters",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        timestamp("locked_until"),
        timestamp("updated_at"),
        sa.PrimaryKeyConstraint("key", name="pk_auth_attempt_counters"),
    )
    op.create_index("ix_auth_attempt_counters_updated_at", "auth_attempt_counters", ["updated_at"])
    op.create_table(
        "auth_invites",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        timestamp("created_at"),
        timestamp("expires_at"),
        timestamp("used_at", nullable=True),
        sa.Column("used_by", sa.Uuid(), nullable=True),
        timestamp("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_auth_invites"),
        sa.UniqueConstraint("code_hash", name="uq_auth_invites_code_hash"),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["auth_users.id"],
            name="fk_auth_invites_created_by_auth_users",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["used_by"],
            ["auth_users.id"],
            name="fk_auth_invites_used_by_auth_users",
            ondelete="SET NULL",
        ),
    )


def downgrade() -> None:
    op.drop_table("auth_invites")
    op.drop_index("ix_auth_attempt_counters_updated_at", "auth_attempt_counters")
    op.drop_table("auth_attempt_counters")
    with op.batch_alter_table("auth_refresh_tokens") as batch:
        batch.drop_column("successor")
