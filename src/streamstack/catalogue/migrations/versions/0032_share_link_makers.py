"""Share links stopped with their maker's admin rights: ``catalogue_shares.revoked_reason``
(null for a link an admin stopped, and for every link of before) and the index that finds
the links one admin made.

A plain ADD COLUMN and an index: no table is rebuilt, and the release before this one reads
and writes links as it did (it never reads the reason). The downgrade drops both in place.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "catalogue_0032"
down_revision: str | None = "catalogue_0031"


def upgrade() -> None:
    """The column, then the makers' index."""
    op.add_column("catalogue_shares", sa.Column("revoked_reason", sa.Text(), nullable=True))
    op.create_index("ix_catalogue_shares_created_by", "catalogue_shares", ["created_by"])


def downgrade() -> None:
    """The index, then the column, in place."""
    op.drop_index("ix_catalogue_shares_created_by", table_name="catalogue_shares")
    op.drop_column("catalogue_shares", "revoked_reason")
