"""Watch progress: where each user is in each item (resume, continue watching, history)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "catalogue_0003"
down_revision: str | None = "catalogue_0002"


def upgrade() -> None:
    op.create_table(
        "watch_progress",
        ddl.uuid_column("user_id"),
        ddl.uuid_column("media_id"),
        ddl.column("position_seconds", sa.Float()),
        ddl.column("duration_seconds", sa.Float(), nullable=True),
        ddl.column("completed", sa.Boolean()),
        ddl.timestamp("updated_at"),
        ddl.primary_key("watch_progress", "user_id", "media_id"),
        ddl.foreign_key("watch_progress", "media_id", "media_items", ondelete="CASCADE"),
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
