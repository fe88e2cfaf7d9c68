"""Share links: ``catalogue_shares``, each a secret that lets whoever holds it watch one
published item without an account, until it expires or an admin stops it (``revoked_at``).

A new table: the release before this one never reads it. Its links go with their item
(the foreign key cascades, and deleting an item deletes them in its transaction).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "catalogue_0027"
down_revision: str | None = "catalogue_0026"


def upgrade() -> None:
    op.create_table(
        "catalogue_shares",
        ddl.uuid_column("id"),
        ddl.uuid_column("item_id"),
        ddl.column("secret", sa.Text()),
        ddl.uuid_column("created_by"),
        ddl.timestamp("created_at"),
        ddl.timestamp("expires_at", nullable=True),
        ddl.timestamp("revoked_at", nullable=True),
        ddl.column("opens", sa.Integer(), server_default=sa.text("0")),
        ddl.timestamp("last_opened_at", nullable=True),
        ddl.primary_key("catalogue_shares", "id"),
        ddl.foreign_key("catalogue_shares", "item_id", "media_items", ondelete="CASCADE"),
        ddl.unique("catalogue_shares", "secret"),
    )
    # An item's links, the newest first (its list, and counting its live ones).
    op.create_index(
        "ix_catalogue_shares_item_created", "catalogue_shares", ["item_id", "created_at", "id"]
    )


def downgrade() -> None:
    op.drop_table("catalogue_shares")
