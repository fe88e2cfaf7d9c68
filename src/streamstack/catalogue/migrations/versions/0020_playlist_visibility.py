"""Playlists may be shared by link: each has a ``visibility``, ``private`` (as every one was
until now) or ``unlisted`` (anyone signed in with its link may view and play it).

A plain ADD COLUMN with a default: existing playlists stay private, and no table is rebuilt
on SQLite (see catalogue_0002).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "catalogue_0020"
down_revision: str | None = "catalogue_0019"


def upgrade() -> None:
    op.add_column(
        "playlists",
        sa.Column("visibility", sa.String(16), nullable=False, server_default=sa.text("'private'")),
    )


def downgrade() -> None:
    # Not a batch (SQLite's table rebuild): dropping the old table would take its entries
    # with it (ON DELETE CASCADE). SQLite drops a column no index, key or constraint names
    # in place (since 3.35).
    op.drop_column("playlists", "visibility")
