"""Column builders the modules' alembic migrations share.

A migration must build the same schema for ever, so a function here never changes what
it builds: a new kind of column is a new function, not an edit of an old one. Alembic
reads only ``revision`` and ``down_revision`` from a migration script (``branch_labels``
and ``depends_on`` default to none), so the scripts declare just those two.
"""

from __future__ import annotations

import sqlalchemy as sa


def timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    """A timezone-aware ``DateTime`` column (NOT NULL unless ``nullable``)."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def sequence_number(name: str = "seq") -> sa.Column[object]:
    """An auto-incrementing ``BIGINT`` key (``INTEGER`` on SQLite, where only that type
    aliases the rowid and so increments)."""
    return sa.Column(
        name,
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        autoincrement=True,
        nullable=False,
    )
