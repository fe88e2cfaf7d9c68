"""A trigram index for search over ``media_items.search_text``; an index for admins' lists.

PostgreSQL: the ``pg_trgm`` extension (trusted: the database owner may create it) and a GIN
index with ``gin_trgm_ops``, which answers ``LIKE '%…%'`` patterns. SQLite: an FTS5 table
with the trigram tokenizer (SQLite ≥ 3.34) holding each item's id and search text, kept in
step by triggers on ``media_items``, and filled from the items already there.
"""

from __future__ import annotations

from alembic import op

revision: str = "catalogue_0004"
down_revision: str | None = "catalogue_0003"

_SQLITE_UP = (
    "CREATE VIRTUAL TABLE media_search USING fts5("
    "media_id UNINDEXED, search_text, tokenize = 'trigram')",
    "INSERT INTO media_search (media_id, search_text) SELECT id, search_text FROM media_items",
    "CREATE TRIGGER media_search_insert AFTER INSERT ON media_items BEGIN "
    "INSERT INTO media_search (media_id, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER media_search_update AFTER UPDATE OF search_text ON media_items BEGIN "
    "DELETE FROM media_search WHERE media_id = old.id; "
    "INSERT INTO media_search (media_id, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER media_search_delete AFTER DELETE ON media_items BEGIN "
    "DELETE FROM media_search WHERE media_id = old.id; END",
)
_SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS media_search_delete",
    "DROP TRIGGER IF EXISTS media_search_update",
    "DROP TRIGGER IF EXISTS media_search_insert",
    "DROP TABLE IF EXISTS media_search",
)
_POSTGRES_UP = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_media_items_search_text_trgm"
    " ON media_items USING gin (search_text gin_trgm_ops)",
)
_POSTGRES_DOWN = ("DROP INDEX IF EXISTS ix_media_items_search_text_trgm",)


def upgrade() -> None:
    # An admin's list of every status, newest first, without sorting the whole table.
    op.create_index("ix_media_items_created_at", "media_items", ["created_at", "id"])
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _SQLITE_UP if sqlite else _POSTGRES_UP:
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _SQLITE_DOWN if sqlite else _POSTGRES_DOWN:
        op.execute(statement)
    op.drop_index("ix_media_items_created_at", table_name="media_items")
