"""Attempt counters (sign-in and registration throttling), invites, rotation grace."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "auth_0002"
down_revision: str | None = "auth_0001"


def upgrade() -> None:
    with op.batch_alter_table("auth_refresh_tokens") as batch:
        batch.add_column(ddl.column("successor", sa.LargeBinary(), nullable=True))
    op.create_table(
        "auth_attempt_counters",
        ddl.column("key", sa.String(64)),
        ddl.column("attempts", sa.Integer()),
        ddl.timestamp("locked_until"),
        ddl.timestamp("updated_at"),
        ddl.primary_key("auth_attempt_counters", "key"),
    )
    op.create_index("ix_auth_attempt_counters_updated_at", "auth_attempt_counters", ["updated_at"])
    op.create_table(
        "auth_invites",
        ddl.uuid_column("id"),
        ddl.column("code_hash", sa.String(64)),
        ddl.uuid_column("created_by", nullable=True),
        ddl.timestamp("created_at"),
        ddl.timestamp("expires_at"),
        ddl.timestamp("used_at", nullable=True),
        ddl.uuid_column("used_by", nullable=True),
        ddl.timestamp("revoked_at", nullable=True),
        ddl.primary_key("auth_invites", "id"),
        ddl.unique("auth_invites", "code_hash"),
        ddl.foreign_key("auth_invites", "created_by", "auth_users", ondelete="SET NULL"),
        ddl.foreign_key("auth_invites", "used_by", "auth_users", ondelete="SET NULL"),
    )


def downgrade() -> None:
    op.drop_table("auth_invites")
    op.drop_index("ix_auth_attempt_counters_updated_at", "auth_attempt_counters")
    op.drop_table("auth_attempt_counters")
    # In place, not a batch: SQLite's table rebuild drops the old table under the
    # cascading keys of what refers to it (a user's sessions went with auth_users).
    op.drop_column("auth_refresh_tokens", "successor")
