"""A one-word search ranks titles holding the word whole before those holding it inside one.

A new column, ``title_words`` (``title_key`` with every word separator a space and a space
at each end: ``catalogue.search.title_words``), makes "a whole word of the title" one
``LIKE '% cat %'``, which a trigram index answers: search's tier of titles holding the
word whole is found through it, however few they are ("vid" read every title holding it
inside a word to find none whole). Items are filled in batches by id, so a large catalogue
is never in memory whole; a plain ADD COLUMN with a default (no table rebuild on SQLite,
see catalogue_0002).
- PostgreSQL: a ``pg_trgm`` GIN index on it (``fastupdate = off``, as catalogue_0008's).
- SQLite: the FTS5 table (contentless, catalogue_0008) is built again with ``title_words``
  as its title column instead of ``title_key`` (a virtual table takes no new column; both
  columns, the index was a sixth larger, and every lookup with it): a title holding a word
  holds it there too, its separators spaces. Built from the items there, its row keys
  kept; its triggers pass the new column.
The downgrade builds catalogue_0008's table and triggers again, then drops the column in
place.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from streamstack.catalogue.search import title_words
from streamstack.kernel import migrations as ddl

revision: str = "catalogue_0024"
down_revision: str | None = "catalogue_0023"

#: Items read and filled per statement.
BATCH = 1000

_ITEMS = sa.table(
    "media_items",
    sa.column("id", sa.Uuid()),
    sa.column("title_key", sa.String()),
    sa.column("title_words", sa.String()),
)
_SQLITE_UP = (
    "DROP TRIGGER IF EXISTS media_search_delete",
    "DROP TRIGGER IF EXISTS media_search_update",
    "DROP TRIGGER IF EXISTS media_search_insert",
    "DROP TABLE IF EXISTS media_search",
    "CREATE VIRTUAL TABLE media_search USING fts5("
    "title_words, search_text, content = '', tokenize = 'trigram')",
    "INSERT INTO media_search (rowid, title_words, search_text) "
    "SELECT k.key, m.title_words, m.search_text "
    "FROM media_search_keys AS k JOIN media_items AS m ON m.id = k.media_id",
    """CREATE TRIGGER media_search_insert AFTER INSERT ON media_items BEGIN
        INSERT INTO media_search_keys (media_id) VALUES (new.id);
        INSERT INTO media_search (rowid, title_words, search_text) VALUES (
            (SELECT key FROM media_search_keys WHERE media_id = new.id),
            new.title_words, new.search_text);
    END""",
    """CREATE TRIGGER media_search_update AFTER UPDATE OF title_words, search_text
    ON media_items BEGIN
        INSERT INTO media_search (media_search, rowid, title_words, search_text)
        VALUES (
            'delete', (SELECT key FROM media_search_keys WHERE media_id = old.id),
            old.title_words, old.search_text);
        INSERT INTO media_search (rowid, title_words, search_text) VALUES (
            (SELECT key FROM media_search_keys WHERE media_id = new.id),
            new.title_words, new.search_text);
    END""",
    """CREATE TRIGGER media_search_delete AFTER DELETE ON media_items BEGIN
        INSERT INTO media_search (media_search, rowid, title_words, search_text)
        VALUES (
            'delete', (SELECT key FROM media_search_keys WHERE media_id = old.id),
            old.title_words, old.search_text);
        DELETE FROM media_search_keys WHERE media_id = old.id;
    END""",
)
_POSTGRES_UP = (
    "CREATE INDEX IF NOT EXISTS ix_media_items_title_words_trgm ON media_items "
    "USING gin (title_words gin_trgm_ops) WITH (fastupdate = off)",
)
_POSTGRES_DOWN = ("DROP INDEX IF EXISTS ix_media_items_title_words_trgm",)


def upgrade() -> None:
    op.add_column(
        "media_items",
        sa.Column("title_words", sa.String(202), nullable=False, server_default=sa.text("''")),
    )
    _fill()
    sqlite = op.get_bind().dialect.name == "sqlite"
    _run(_SQLITE_UP if sqlite else _POSTGRES_UP)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _run(_previous_sqlite_statements() if sqlite else _POSTGRES_DOWN)
    # In place, not a batch: see catalogue_0019's downgrade (and no trigger names the
    # column any more, which SQLite's DROP COLUMN would refuse).
    op.drop_column("media_items", "title_words")


def _fill() -> None:
    connection = op.get_bind()
    write = (
        sa.update(_ITEMS)
        .where(_ITEMS.c.id == sa.bindparam("item_id"))
        .values(title_words=sa.bindparam("words"))
    )
    query = sa.select(_ITEMS.c.id, _ITEMS.c.title_key)
    for rows in ddl.in_batches(connection, query, _ITEMS.c.id, BATCH):
        words = [{"item_id": row.id, "words": title_words(row.title_key)} for row in rows]
        connection.execute(write, words)


def _run(statements: Sequence[str]) -> None:
    for statement in statements:
        op.execute(statement)


def _previous_sqlite_statements() -> list[str]:
    """catalogue_0008's table and triggers, built again from the items there, its row
    keys kept (its statements less those making the keys)."""
    previous = ddl.earlier_revision(__file__, "0008_search_tiers.py")
    keys = ("CREATE TABLE media_search_keys", "INSERT INTO media_search_keys")
    return [statement for statement in previous._SQLITE_UP if not statement.startswith(keys)]
