"""Which version of its stills (thumbnail and poster) an item shows, so their URLs change
when an admin chooses another frame and no browser shows the old one from its cache.

Items made before this revision have none recorded: their URLs carry no version.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "catalogue_0017"
down_revision: str | None = "catalogue_0016"


def upgrade() -> None:
    # A plain ADD COLUMN: no table rebuild on SQLite (see catalogue_0002).
    op.add_column("media_items", sa.Column("stills_version", sa.String(16), nullable=True))


def downgrade() -> None:
    # In place, not a batch: see catalogue_0019's downgrade.
    op.drop_column("media_items", "stills_version")
