"""Whether an admin chose an item's stills (a frame of its video or an image of their own),
so that replacing the item's video file keeps them and brings new automatic ones otherwise.

Until now only a recorded stills version told that an admin had been there (choosing a
frame, an image, or going back to the automatic frame, which were not told apart): every
item with one counts as chosen, so no admin's choice is lost to a replaced file.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "catalogue_0023"
down_revision: str | None = "catalogue_0022"


def upgrade() -> None:
    # A plain ADD COLUMN with a default: no table rebuild on SQLite (see catalogue_0002).
    op.add_column(
        "media_items",
        sa.Column("stills_chosen", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute("UPDATE media_items SET stills_chosen = TRUE WHERE stills_version IS NOT NULL")


def downgrade() -> None:
    # In place, not a batch: see catalogue_0019's downgrade.
    op.drop_column("media_items", "stills_chosen")
