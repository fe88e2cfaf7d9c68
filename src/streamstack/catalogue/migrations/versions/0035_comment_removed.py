"""A deleted comment that others answered stays as a placeholder in its thread:
``catalogue_comments.removed``, why it is no longer there (``deleted`` by its author or an
admin, ``account_deleted`` with its author's account), null for every comment there is.

A plain ADD COLUMN, nullable: no table is rebuilt, so the reports and replies hanging off
comments stay (see catalogue_0020), and the release before this one reads a placeholder
as a comment with no text by no one it knows. The downgrade drops the column in place.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "catalogue_0035"
down_revision: str | None = "catalogue_0034"


def upgrade() -> None:
    """The column, null for the comments there are."""
    op.add_column("catalogue_comments", sa.Column("removed", sa.String(16), nullable=True))


def downgrade() -> None:
    """The column goes, in place (not a batch: see catalogue_0020)."""
    op.drop_column("catalogue_comments", "removed")
