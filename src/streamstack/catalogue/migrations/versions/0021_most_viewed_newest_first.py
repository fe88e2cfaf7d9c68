"""The most viewed first, ties newest first: indexes in that order for admins' lists; and
the title order of every status.

Items of equal view count (every item nobody has watched yet) came in the order of their
ids, which reads as no order at all. They now come newest first: by ``published_at`` in a
list of one status (drafts, which have none, by their ``created_at``), by ``created_at``
in an admin's list of every status. Viewers' lists read the related items' index
(catalogue_0013), which is in that order already: their own view-count index goes. As
many indexes hold the view count as before, so a view costs as many index writes.

A search's tier of the title that is the query itself seeks it by its title order, which
a list of every status (an admin's) had no index of; that list sorted by title uses it too.
"""

from __future__ import annotations

from alembic import op

revision: str = "catalogue_0021"
down_revision: str | None = "catalogue_0020"

#: What this revision creates, and what it replaces (catalogue_0011's), by name.
NEW = {
    "ix_media_items_status_most_viewed": ["status", "view_count", "published_at", "id"],
    "ix_media_items_most_viewed": ["view_count", "created_at", "id"],
    "ix_media_items_title_order": ["title_order", "id"],
}
OLD = {
    "ix_media_items_status_view_count": ["status", "view_count", "id"],
    "ix_media_items_viewers_view_count": ["status", "playable", "view_count", "id"],
}


def upgrade() -> None:
    for name in OLD:
        op.drop_index(name, table_name="media_items")
    for name, columns in NEW.items():
        op.create_index(name, "media_items", columns)


def downgrade() -> None:
    # Indexes alone, dropped and made in place (never a batch's table rebuild).
    for name in NEW:
        op.drop_index(name, table_name="media_items")
    for name, columns in OLD.items():
        op.create_index(name, "media_items", columns)
