"""PostgreSQL's trigram index takes each change at once (``fastupdate = off``).

With GIN's default ``fastupdate``, new entries wait in a pending list until a vacuum
merges them. After a bulk registration (an import, a restore) that list is large, the
planner prices the index out and every search reads the whole table (10,000 items: 55 ms
instead of 3 ms) until autovacuum comes by. Items are registered one upload at a time,
so paying the index update with each insert costs nothing a person notices. The pending
list left by earlier inserts is merged now. SQLite's FTS5 table has no such list.
"""

from __future__ import annotations

from alembic import op

revision: str = "catalogue_0007"
down_revision: str | None = "catalogue_0006"

INDEX = "ix_media_items_search_text_trgm"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER INDEX {INDEX} SET (fastupdate = off)")
    op.execute(f"SELECT gin_clean_pending_list('{INDEX}'::regclass)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER INDEX {INDEX} RESET (fastupdate)")
