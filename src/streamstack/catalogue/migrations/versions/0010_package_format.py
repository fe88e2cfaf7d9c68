"""The format of each item's HLS package, so the items a newer transcoder would improve
can be listed (``processing=outdated``) and transcoded again.

Packages made before this revision have none recorded: they are format 1.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "catalogue_0010"
down_revision: str | None = "catalogue_0009"


def upgrade() -> None:
    # A plain ADD COLUMN: no table rebuild on SQLite (see catalogue_0002).
    op.add_column("media_items", sa.Column("package_format", sa.Integer(), nullable=True))


def downgrade() -> None:
    # In place, not a batch: see catalogue_0019's downgrade.
    op.drop_column("media_items", "package_format")
