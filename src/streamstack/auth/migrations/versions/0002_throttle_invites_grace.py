"""Attempt counters (sign-in and registration throttling), invites, rotation grace."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel.migrations import foreign_key, primary_key, timestamp, unique, uuid_column

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
        primary_key("auth_attempt_counters", "key"),
    )
    op.create_index("ix_auth_attempt_counters_updated_at", "auth_attempt_counters", ["updated_at"])
    op.create_table(
        "auth_invites",
        uuid_column("id"),
        sa.Column("code_hash", sa.String(64), nullable=False),
        uuid_column("created_by", nullable=True),
        timestamp("created_at"),
        timestamp("expires_at"),
        timestamp("used_at", nullable=True),
        uuid_column("used_by", nullable=True),
        timestamp("revoked_at", nullable=True),
        primary_key("auth_invites", "id"),
        unique("auth_invites", "code_hash"),
        foreign_key("auth_invites", "created_by", "auth_users", ondelete="SET NULL"),
        foreign_key("auth_invites", "used_by", "auth_users", ondelete="SET NULL"),
    )


def downgrade() -> None:
    op.drop_table("auth_invites")
    op.drop_index("ix_auth_attempt_counters_updated_at", "auth_attempt_counters")
    op.drop_table("auth_attempt_counters")
    with op.batch_alter_table("auth_refresh_tokens") as batch:
        batch.drop_column("successor")
