"""Chapters: the ones an item's file marks (an audiobook's, a film's), kept with the item.

A JSON list of ``{"start_seconds", "title"}`` like the renditions; items uploaded before
have none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "catalogue_0014"
down_revision: str | None = "catalogue_0013"


def upgrade() -> None:
    # A plain ADD COLUMN with a constant default: no table rebuild on SQLite.
    op.add_column(
        "media_items",
        sa.Column("chapters", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )


def downgrade() -> None:
    # In place, not a batch: see catalogue_0019's downgrade.
    op.drop_column("media_items", "chapters")
