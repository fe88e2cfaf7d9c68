"""A draft may be scheduled to go public at a set time: ``media_items.publish_at`` (UTC;
null when none is set), and an index the catalogue's publishing step reads the due drafts
by (``publish_at`` first, so the step seeks only the scheduled ones).

A plain ADD COLUMN, nullable, and a new index: no table is rebuilt on SQLite (see
catalogue_0020), and the release before this one, which knows no schedule, reads and
writes the table as it did (a rolling upgrade).
"""

from __future__ import annotations

from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "catalogue_0022"
down_revision: str | None = "catalogue_0021"


def upgrade() -> None:
    op.add_column("media_items", ddl.timestamp("publish_at", nullable=True))
    op.create_index("ix_media_items_publish_at", "media_items", ["publish_at", "status", "id"])


def downgrade() -> None:
    op.drop_index("ix_media_items_publish_at", table_name="media_items")
    # In place, not a batch (SQLite's table rebuild): see catalogue_0020.
    op.drop_column("media_items", "publish_at")
