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
    op.create_table(
        "auth_outbox",
        ddl.sequence_number(),
        ddl.column("event_id", sa.String(64)),
        ddl.column("subject", sa.String(200)),
        ddl.column("payload", sa.LargeBinary()),
        ddl.timestamp("created_at"),
        ddl.timestamp("sent_at", nullable=True),
        ddl.primary_key("auth_outbox", "seq"),
        ddl.unique("auth_outbox", "event_id"),
    )
    op.create_index("ix_auth_outbox_sent_at", "auth_outbox", ["sent_at"])


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
    with op.batch_alter_table("auth_users") as batch:
        batch.drop_column("disabled_at")
