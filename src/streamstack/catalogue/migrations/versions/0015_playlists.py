"""Playlists: each user's named, ordered lists of items."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "catalogue_0015"
down_revision: str | None = "catalogue_0014"


def upgrade() -> None:
    """The playlists, then their entries, each of which goes with its playlist and item."""
    _create_playlists()
    _create_entries()


def _create_playlists() -> None:
    op.create_table(
        "playlists",
        ddl.uuid_column("id"),
        ddl.column("description", sa.Text()),
        ddl.column("title", sa.String(200)),
        ddl.uuid_column("user_id"),
        ddl.timestamp("created_at"),
        ddl.timestamp("updated_at"),
        ddl.primary_key("playlists", "id"),
    )
    op.create_index("ix_playlists_user_updated", "playlists", ["user_id", "updated_at", "id"])


def _create_entries() -> None:
    op.create_table(
        "playlist_entries",
        ddl.uuid_column("playlist_id"),
        ddl.column("position", sa.Integer()),
        ddl.uuid_column("media_id"),
        ddl.timestamp("added_at"),
        ddl.primary_key("playlist_entries", "playlist_id", "media_id"),
        ddl.foreign_key("playlist_entries", "playlist_id", "playlists", ondelete="CASCADE"),
        ddl.foreign_key("playlist_entries", "media_id", "media_items", ondelete="CASCADE"),
    )
    op.create_index("ix_playlist_entries_media_id", "playlist_entries", ["media_id"])


def downgrade() -> None:
    """Both tables, the entries first (they refer to the playlists)."""
    op.drop_table("playlist_entries")
    op.drop_table("playlists")
