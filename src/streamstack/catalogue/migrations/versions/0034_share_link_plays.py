"""Plays by share links: ``catalogue_shares.plays`` (zero for every link of before: their
plays were never counted) and ``catalogue_play_tickets``, one row per page load of a link
whose play is not counted yet, going with its link (the foreign key cascades).

A plain ADD COLUMN with a server default and a new table: no table is rebuilt, and the
release before this one reads and writes links as it did (it issues no tickets, counts no
plays). The downgrade drops both in place.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "catalogue_0034"
down_revision: str | None = "catalogue_0033"


def upgrade() -> None:
    """The links' count, then the tickets and the index that finds the old ones."""
    op.add_column(
        "catalogue_shares",
        sa.Column("plays", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.create_table(
        "catalogue_play_tickets",
        ddl.uuid_column("id"),
        ddl.uuid_column("share_id"),
        ddl.timestamp("opened_at"),
        ddl.primary_key("catalogue_play_tickets", "id"),
        ddl.foreign_key(
            "catalogue_play_tickets", "share_id", "catalogue_shares", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_catalogue_play_tickets_opened_at", "catalogue_play_tickets", ["opened_at"])


def downgrade() -> None:
    """The tickets, then the count, in place."""
    op.drop_table("catalogue_play_tickets")
    op.drop_column("catalogue_shares", "plays")
