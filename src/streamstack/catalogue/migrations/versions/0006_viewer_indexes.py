"""Indexes for viewers' lists: led by ``status`` and ``playable``, then each sort's key.

Viewers see only playable published items. With ``playable`` after ``status`` in the index,
a viewer's page (and the rows an OFFSET skips) are read from the index alone, in order,
instead of reading every skipped item from the table to test whether it is playable.
"""

from __future__ import annotations

from alembic import op

revision: str = "catalogue_0006"
down_revision: str | None = "catalogue_0005"

#: Index name -> columns; one per viewers' sort (newest/oldest, title, duration).
VIEWER_INDEXES = {
    "ix_media_items_viewers_published_at": ["status", "playable", "published_at", "id"],
    "ix_media_items_viewers_title_key": ["status", "playable", "title_key", "id"],
    "ix_media_items_viewers_duration": ["status", "playable", "duration_seconds", "id"],
}


def upgrade() -> None:
    for name, columns in VIEWER_INDEXES.items():
        op.create_index(name, "media_items", columns)


def downgrade() -> None:
    for name in VIEWER_INDEXES:
        op.drop_index(name, table_name="media_items")
