"""Invites by email: the address an invite's link was mailed to, for the invites list.
Invites made before were handed over and have none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "auth_0006"
down_revision: str | None = "auth_0005"


def upgrade() -> None:
    # A plain ADD COLUMN of a nullable column (no table rebuild on SQLite), as wide as
    # auth_users.email.
    op.add_column("auth_invites", ddl.column("mailed_to", sa.String(320), nullable=True))


def downgrade() -> None:
    # In place, as auth_0004's note: a batch rebuild would cascade through what refers to it.
    op.drop_column("auth_invites", "mailed_to")
