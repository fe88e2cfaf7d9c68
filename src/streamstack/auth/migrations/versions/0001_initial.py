"""Auth tables: users, sessions (refresh-token families), refresh tokens."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel.migrations import foreign_key, primary_key, timestamp, unique, uuid_column

revision: str = "auth_0001"
down_revision: str | None = None


def upgrade() -> None:
    op.create_table(
        "auth_users",
        uuid_column("id"),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(512), nullable=False),
        timestamp("created_at"),
        timestamp("updated_at"),
        primary_key("auth_users", "id"),
        unique("auth_users", "email"),
    )
    op.create_index("ix_auth_users_role", "auth_users", ["role"])
    op.create_table(
        "auth_sessions",
        uuid_column("id"),
        uuid_column("user_id"),
        timestamp("created_at"),
        timestamp("last_used_at"),
        timestamp("expires_at"),
        sa.Column("user_agent", sa.String(512), nullable=True),
        timestamp("revoked_at", nullable=True),
        primary_key("auth_sessions", "id"),
        foreign_key("auth_sessions", "user_id", "auth_users", ondelete="CASCADE"),
    )
    op.create_index("ix_auth_sessions_user_id", "auth_sessions", ["user_id"])
    op.create_table(
        "auth_refresh_tokens",
        sa.Column("id", sa.String(64), nullable=False),
        uuid_column("session_id"),
        timestamp("created_at"),
        timestamp("expires_at"),
        timestamp("used_at", nullable=True),
        sa.Column("access_jti", sa.String(64), nullable=False),
        timestamp("access_expires_at"),
        primary_key("auth_refresh_tokens", "id"),
        foreign_key("auth_refresh_tokens", "session_id", "auth_sessions", ondelete="CASCADE"),
    )
    op.create_index("ix_auth_refresh_tokens_session_id", "auth_refresh_tokens", ["session_id"])


def downgrade() -> None:
    op.drop_table("auth_refresh_tokens")
    op.drop_table("auth_sessions")
    op.drop_table("auth_users")
