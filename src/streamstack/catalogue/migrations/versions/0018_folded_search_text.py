"""Search folds accents and case alike on both sides: the stored text is folded again.

``search_text`` and ``title_key`` were lower-cased; search now compares them folded
(``kernel.text.fold``: accents dropped, ß → ss, ﬁ → fi), as it folds each query. Each
item whose folded text differs is rewritten; what depends on the two columns follows on
its own: SQLite's FTS5 table through its update trigger (catalogue_0008), PostgreSQL's
trigram and sort indexes as any update. Items are read in batches by id, so a large
catalogue is never in memory whole; an all-ASCII item is left as it is (lower-cased is
folded there). The downgrade writes the lower-cased forms back from the items' own fields.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from streamstack.catalogue.items import title_key
from streamstack.kernel import migrations as ddl
from streamstack.kernel.text import fold

revision: str = "catalogue_0018"
down_revision: str | None = "catalogue_0017"

#: Items read and rewritten per statement.
BATCH = 1000

_ITEMS = sa.table(
    "media_items",
    sa.column("id", sa.Uuid()),
    sa.column("title", sa.String()),
    sa.column("description", sa.Text()),
    sa.column("title_key", sa.String()),
    sa.column("search_text", sa.Text()),
)
_TAGS = sa.table("media_tags", sa.column("media_id", sa.Uuid()), sa.column("tag", sa.String()))

#: An item's row and its tags → its ``title_key`` and ``search_text``.
Derive = Callable[[Any, Sequence[str]], tuple[str, str]]


def upgrade() -> None:
    # Folding the lower-cased text is folding the original (fold(t.lower()) == fold(t)).
    _rewrite(lambda row, _: (title_key(row.title), fold(row.search_text)), tags=False)


def downgrade() -> None:
    _rewrite(_lower_cased, tags=True)


def _lower_cased(row: Any, tags: Sequence[str]) -> tuple[str, str]:
    """catalogue_0017's derivations: lower-cased, tags sorted."""
    text = "\n".join((row.title, row.description, " ".join(sorted(tags))))
    return row.title.lower(), text.lower()


def _rewrite(derive: Derive, *, tags: bool) -> None:
    """Every item's two columns as ``derive`` gives them, batch by batch, writing only
    the items whose values change."""
    connection = op.get_bind()
    write = (
        sa.update(_ITEMS)
        .where(_ITEMS.c.id == sa.bindparam("item_id"))
        .values(title_key=sa.bindparam("new_title_key"), search_text=sa.bindparam("new_text"))
    )
    for rows in ddl.in_batches(connection, sa.select(_ITEMS), _ITEMS.c.id, BATCH):
        tagged = _tags_of(connection, [row.id for row in rows]) if tags else {}
        changed = []
        for row in rows:
            key, text = derive(row, tagged.get(row.id, []))
            if (key, text) != (row.title_key, row.search_text):
                changed.append({"item_id": row.id, "new_title_key": key, "new_text": text})
        if changed:
            connection.execute(write, changed)


def _tags_of(connection: sa.Connection, ids: Sequence[Any]) -> dict[Any, list[str]]:
    found: dict[Any, list[str]] = {}
    for media_id, tag in connection.execute(sa.select(_TAGS).where(_TAGS.c.media_id.in_(ids))):
        found.setdefault(media_id, []).append(tag)
    return found
