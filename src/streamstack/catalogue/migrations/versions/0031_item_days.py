"""Statistics by day: ``catalogue_item_days``, one row per item and day (UTC) with the
views that started and the seconds watched that day, going with the item (the foreign key
cascades). Its primary key (item, day) reads an item's last days and deletes its rows.

A new table only: the release before this one reads and writes as it did (it counts no
days). Days before this revision have no row: their statistics read as zero.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "catalogue_0031"
down_revision: str | None = "catalogue_0030"


def upgrade() -> None:
    """The table."""
    op.create_table(
        "catalogue_item_days",
        ddl.uuid_column("item_id"),
        ddl.column("day", sa.Date()),
        ddl.column("views", sa.Integer(), server_default=sa.text("0")),
        ddl.column("watch_seconds", sa.Float(), server_default=sa.text("0")),
        ddl.primary_key("catalogue_item_days", "item_id", "day"),
        ddl.foreign_key("catalogue_item_days", "item_id", "media_items", ondelete="CASCADE"),
    )


def downgrade() -> None:
    """The table goes, with what it counted."""
    op.drop_table("catalogue_item_days")
