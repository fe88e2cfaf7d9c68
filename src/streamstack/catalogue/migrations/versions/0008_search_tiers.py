"""Search indexes that answer each relevance tier on its own: titles, and hits as row keys.

A search's page is filled tier by tier (an exact word in the title, an exact word
elsewhere, a forgiven typo), and each tier asks the index how many items it holds before
choosing how to read them. That needs:
- PostgreSQL: a ``pg_trgm`` GIN index on ``title_key`` too (``fastupdate = off``, as the
  ``search_text`` one since catalogue_0007), so "which titles hold this word" is an index
  lookup instead of a scan of every title.
- SQLite: the FTS5 table indexes the title as a column of its own, and is contentless:
  its rowids are integer keys of ``media_search_keys`` (one per item), so the hits come
  from the index alone. The old table stored each item's id as FTS5 content, and reading
  it back cost a statement per hit (28 ms for 3,367 hits); deleting an item scanned the
  whole table. The keys are our own (not ``media_items``' implicit rowid, which VACUUM may
  renumber). Triggers keep both in step; a contentless table forgets a row only when told
  the exact values it indexed, which the triggers pass from the old row.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "catalogue_0008"
down_revision: str | None = "catalogue_0007"

_SQLITE_UP = (
    "DROP TRIGGER IF EXISTS media_search_delete",
    "DROP TRIGGER IF EXISTS media_search_update",
    "DROP TRIGGER IF EXISTS media_search_insert",
    "DROP TABLE IF EXISTS media_search",
    "CREATE TABLE media_search_keys (key INTEGER PRIMARY KEY, media_id CHAR(32) NOT NULL UNIQUE)",
    "CREATE VIRTUAL TABLE media_search USING fts5("
    "title_key, search_text, content = '', tokenize = 'trigram')",
    "INSERT INTO media_search_keys (media_id) SELECT id FROM media_items",
    "INSERT INTO media_search (rowid, title_key, search_text) "
    "SELECT k.key, m.title_key, m.search_text "
    "FROM media_search_keys AS k JOIN media_items AS m ON m.id = k.media_id",
    """CREATE TRIGGER media_search_insert AFTER INSERT ON media_items BEGIN
        INSERT INTO media_search_keys (media_id) VALUES (new.id);
        INSERT INTO media_search (rowid, title_key, search_text) VALUES (
            (SELECT key FROM media_search_keys WHERE media_id = new.id),
            new.title_key, new.search_text);
    END""",
    """CREATE TRIGGER media_search_update AFTER UPDATE OF title_key, search_text
    ON media_items BEGIN
        INSERT INTO media_search (media_search, rowid, title_key, search_text) VALUES (
            'delete', (SELECT key FROM media_search_keys WHERE media_id = old.id),
            old.title_key, old.search_text);
        INSERT INTO media_search (rowid, title_key, search_text) VALUES (
            (SELECT key FROM media_search_keys WHERE media_id = new.id),
            new.title_key, new.search_text);
    END""",
    """CREATE TRIGGER media_search_delete AFTER DELETE ON media_items BEGIN
        INSERT INTO media_search (media_search, rowid, title_key, search_text) VALUES (
            'delete', (SELECT key FROM media_search_keys WHERE media_id = old.id),
            old.title_key, old.search_text);
        DELETE FROM media_search_keys WHERE media_id = old.id;
    END""",
)
_SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS media_search_delete",
    "DROP TRIGGER IF EXISTS media_search_update",
    "DROP TRIGGER IF EXISTS media_search_insert",
    "DROP TABLE IF EXISTS media_search",
    "DROP TABLE IF EXISTS media_search_keys",
)
_POSTGRES_UP = (
    "CREATE INDEX IF NOT EXISTS ix_media_items_title_key_trgm ON media_items "
    "USING gin (title_key gin_trgm_ops) WITH (fastupdate = off)",
)
_POSTGRES_DOWN = ("DROP INDEX IF EXISTS ix_media_items_title_key_trgm",)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _run(_SQLITE_UP if sqlite else _POSTGRES_UP)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        _run(_POSTGRES_DOWN)
        return
    _run(_SQLITE_DOWN)
    # Back to catalogue_0004's table, triggers and contents: its own statements.
    _run(_previous_sqlite_statements())


def _run(statements: Sequence[str]) -> None:
    for statement in statements:
        op.execute(statement)


def _previous_sqlite_statements() -> Sequence[str]:
    previous = ddl.earlier_revision(__file__, "0004_search_trigrams.py")
    statements: Sequence[str] = previous._SQLITE_UP
    return statements
