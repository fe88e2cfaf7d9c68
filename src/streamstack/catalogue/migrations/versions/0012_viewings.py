"""Viewings: when each user last reported watching each item, kept apart from the history a
user can clear, so clearing it does not make the next report another view."""

from __future__ import annotations

from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "catalogue_0012"
down_revision: str | None = "catalogue_0011"


def upgrade() -> None:
    op.create_table(
        "viewings",
        ddl.uuid_column("user_id"),
        ddl.uuid_column("media_id"),
        ddl.timestamp("reported_at"),
        ddl.primary_key("viewings", "user_id", "media_id"),
        ddl.foreign_key("viewings", "media_id", "media_items", ondelete="CASCADE"),
    )
    # Whoever is watching now goes on watching, not starting a new view.
    op.execute(
        "INSERT INTO viewings (user_id, media_id, reported_at) "
        "SELECT user_id, media_id, updated_at FROM watch_progress"
    )


def downgrade() -> None:
    op.drop_table("viewings")
