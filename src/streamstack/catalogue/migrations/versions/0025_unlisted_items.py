"""A published item may be unlisted: ``media_items.visibility`` (``listed``, the default
every existing item gets, or ``unlisted``: in no viewer's list, watched by its link).

A plain ADD COLUMN with a default: no table is rebuilt on SQLite (see catalogue_0020),
and the release before this one, which knows no visibility, reads and writes the table as
it did (its new items are listed, as all were). No index: viewers' lists seek on their
status and playable indexes as before and skip the few unlisted items they meet.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "catalogue_0025"
down_revision: str | None = "catalogue_0024"


def upgrade() -> None:
    op.add_column(
        "media_items",
        sa.Column("visibility", sa.String(16), nullable=False, server_default=sa.text("'listed'")),
    )


def downgrade() -> None:
    # In place, not a batch (SQLite's table rebuild): see catalogue_0020.
    op.drop_column("media_items", "visibility")
