"""Watch progress: where each user is in each item (resume, continue watching, history)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel.migrations import foreign_key, primary_key, timestamp, uuid_column

revision: str = "catalogue_0003"
down_revision: str | None = "catalogue_0002"


def upgrade() -> None:
    op.create_table(
        "watch_progress",
        uuid_column("user_id"),
        uuid_column("media_id"),
        sa.Column("position_seconds", sa.Float(), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("completed", sa.Boolean(), nullable=False),
        timestamp("updated_at"),
        primary_key("watch_progress", "user_id", "media_id"),
        foreign_key("watch_progress", "media_id", "media_items", ondelete="CASCADE"),
        sa.CheckConstraint("position_seconds >= 0", name="ck_watch_progress_position_not_negative"),
    )
    op.create_index(
        "ix_watch_progress_user_updated",
        "watch_progress",
        ["user_id", "updated_at", "media_id"],
    )
    op.create_index("ix_watch_progress_media_id", "watch_progress", ["media_id"])


def downgrade() -> None:
    op.drop_table("watch_progress")
