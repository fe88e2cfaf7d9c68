"""Auth tables: users, sessions (refresh-token families), refresh tokens."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "auth_0001"
down_revision: str | None = None


def upgrade() -> None:
    op.create_table(
        "auth_users",
        ddl.uuid_column("id"),
        ddl.column("email", sa.String(320)),
        ddl.column("display_name", sa.String(100), nullable=True),
        ddl.column("role", sa.String(16)),
        ddl.column("password_hash", sa.String(512)),
        ddl.timestamp("created_at"),
        ddl.timestamp("updated_at"),
        ddl.primary_key("auth_users", "id"),
        ddl.unique("auth_users", "email"),
    )
    op.create_index("ix_auth_users_role", "auth_users", ["role"])
    op.create_table(
        "auth_sessions",
        ddl.uuid_column("id"),
        ddl.uuid_column("user_id"),
        ddl.timestamp("created_at"),
        ddl.timestamp("last_used_at"),
        ddl.timestamp("expires_at"),
        ddl.column("user_agent", sa.String(512), nullable=True),
        ddl.timestamp("revoked_at", nullable=True),
        ddl.primary_key("auth_sessions", "id"),
        ddl.foreign_key("auth_sessions", "user_id", "auth_users", ondelete="CASCADE"),
    )
    op.create_index("ix_auth_sessions_user_id", "auth_sessions", ["user_id"])
    op.create_table(
        "auth_refresh_tokens",
        ddl.column("id", sa.String(64)),
        ddl.uuid_column("session_id"),
        ddl.timestamp("created_at"),
        ddl.timestamp("expires_at"),
        ddl.timestamp("used_at", nullable=True),
        ddl.column("access_jti", sa.String(64)),
        ddl.timestamp("access_expires_at"),
        ddl.primary_key("auth_refresh_tokens", "id"),
        ddl.foreign_key("auth_refresh_tokens", "session_id", "auth_sessions", ondelete="CASCADE"),
    )
    op.create_index("ix_auth_refresh_tokens_session_id", "auth_refresh_tokens", ["session_id"])


def downgrade() -> None:
    op.drop_table("auth_refresh_tokens")
    op.drop_table("auth_sessions")
    op.drop_table("auth_users")
