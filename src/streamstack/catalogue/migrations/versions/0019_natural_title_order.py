"""Titles sort with their numbers by value: "part 5" before "part 10".

A new column, ``title_order`` (the folded title, each run of digits led by its length:
``catalogue.search.title_order``), takes over the title sort from ``title_key``, which
search's title tier goes on reading. Its two sort indexes replace ``title_key``'s. Items
are filled in batches by id, so a large catalogue is never in memory whole; a plain ADD
COLUMN with a default (no table rebuild on SQLite, see catalogue_0002).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.catalogue.search import title_order
from streamstack.kernel import migrations as ddl

revision: str = "catalogue_0019"
down_revision: str | None = "catalogue_0018"

#: Items read and filled per statement.
BATCH = 1000

_ITEMS = sa.table(
    "media_items",
    sa.column("id", sa.Uuid()),
    sa.column("title_key", sa.String()),
    sa.column("title_order", sa.String()),
)
#: The title sort's indexes: (name, columns before the key).
_SORTS = (("status", ("status",)), ("viewers", ("status", "playable")))


def upgrade() -> None:
    op.add_column(
        "media_items",
        sa.Column("title_order", sa.String(400), nullable=False, server_default=sa.text("''")),
    )
    _fill()
    for name, leading in _SORTS:
        op.drop_index(f"ix_media_items_{name}_title_key", table_name="media_items")
        op.create_index(
            f"ix_media_items_{name}_title_order", "media_items", [*leading, "title_order", "id"]
        )


def downgrade() -> None:
    for name, leading in _SORTS:
        op.drop_index(f"ix_media_items_{name}_title_order", table_name="media_items")
        op.create_index(
            f"ix_media_items_{name}_title_key", "media_items", [*leading, "title_key", "id"]
        )
    # Not a batch (SQLite's table rebuild): dropping the old table would take its tags,
    # captions, watch progress and playlist entries with it (ON DELETE CASCADE). SQLite
    # drops a column no index, key or constraint names in place (since 3.35).
    op.drop_column("media_items", "title_order")


def _fill() -> None:
    connection = op.get_bind()
    write = (
        sa.update(_ITEMS)
        .where(_ITEMS.c.id == sa.bindparam("item_id"))
        .values(title_order=sa.bindparam("order"))
    )
    query = sa.select(_ITEMS.c.id, _ITEMS.c.title_key)
    for rows in ddl.in_batches(connection, query, _ITEMS.c.id, BATCH):
        orders = [{"item_id": row.id, "order": title_order(row.title_key)} for row in rows]
        connection.execute(write, orders)
