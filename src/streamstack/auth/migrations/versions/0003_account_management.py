"""Account management: disabled accounts, admin-issued password resets, auth's event outbox."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "auth_0003"
down_revision: str | None = "auth_0002"


def _create_password_resets() -> None:
    op.create_table(
        "auth_password_resets",
        ddl.uuid_column("id"),
        ddl.uuid_column("user_id"),
        ddl.column("code_hash", sa.String(64)),
        ddl.uuid_column("created_by", nullable=True),
        ddl.timestamp("created_at"),
        ddl.timestamp("expires_at"),
        ddl.timestamp("used_at", nullable=True),
        ddl.primary_key("auth_password_resets", "id"),
        ddl.unique("auth_password_resets", "code_hash"),
        ddl.foreign_key("auth_password_resets", "user_id", "auth_users", ondelete="CASCADE"),
        ddl.foreign_key("auth_password_resets", "created_by", "auth_users", ondelete="SET NULL"),
    )
    op.create_index("ix_auth_password_resets_user_id", "auth_password_resets", ["user_id"])


def _create_outbox() -> None:
    items = ddl.outbox_table("auth_outbox", event_id_length=64, subject_length=200)
    op.create_table("auth_outbox", *items)


def upgrade() -> None:
    with op.batch_alter_table("auth_users") as batch:
        batch.add_column(ddl.timestamp("disabled_at", nullable=True))
    _create_password_resets()
    _create_outbox()


def downgrade() -> None:
    op.drop_index("ix_auth_outbox_sent_at", "auth_outbox")
    op.drop_table("auth_outbox")
    op.drop_index("ix_auth_password_resets_user_id", "auth_password_resets")
    op.drop_table("auth_password_resets")
    # In place, not a batch: SQLite's table rebuild drops the old table under the
    # cascading keys of what refers to it (a user's sessions went with auth_users).
    op.drop_column("auth_users", "disabled_at")
