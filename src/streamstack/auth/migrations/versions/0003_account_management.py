"""Account management: disabled accounts, admin-issued password resets, auth's event outbox."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel.migrations import (
    foreign_key,
    primary_key,
    sequence_number,
    timestamp,
    unique,
    uuid_column,
)

revision: str = "auth_0003"
down_revision: str | None = "auth_0002"


def _create_password_resets() -> None:
    op.create_table(
        "auth_password_resets",
        uuid_column("id"),
        uuid_column("user_id"),
        sa.Column("code_hash", sa.String(64), nullable=False),
        uuid_column("created_by", nullable=True),
        timestamp("created_at"),
        timestamp("expires_at"),
        timestamp("used_at", nullable=True),
        primary_key("auth_password_resets", "id"),
        unique("auth_password_resets", "code_hash"),
        foreign_key("auth_password_resets", "user_id", "auth_users", ondelete="CASCADE"),
        foreign_key("auth_password_resets", "created_by", "auth_users", ondelete="SET NULL"),
    )
    op.create_index("ix_auth_password_resets_user_id", "auth_password_resets", ["user_id"])


def _create_outbox() -> None:
    op.create_table(
        "auth_outbox",
        sequence_number(),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        timestamp("created_at"),
        timestamp("sent_at", nullable=True),
        primary_key("auth_outbox", "seq"),
        unique("auth_outbox", "event_id"),
    )
    op.create_index("ix_auth_outbox_sent_at", "auth_outbox", ["sent_at"])


def upgrade() -> None:
    with op.batch_alter_table("auth_users") as batch:
        batch.add_column(timestamp("disabled_at", nullable=True))
    _create_password_resets()
    _create_outbox()


def downgrade() -> None:
    op.drop_index("ix_auth_outbox_sent_at", "auth_outbox")
    op.drop_table("auth_outbox")
    op.drop_index("ix_auth_password_resets_user_id", "auth_password_resets")
    op.drop_table("auth_password_resets")
    with op.batch_alter_table("auth_users") as batch:
        batch.drop_column("disabled_at")
