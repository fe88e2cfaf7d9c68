"""Whether an account's password is one StreamStack generated and printed (``create-admin``
without a password, the dev admin), so its owner is asked to set their own. Accounts made
before are taken as having chosen theirs.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "auth_0009"
down_revision: str | None = "auth_0008"


def upgrade() -> None:
    # A plain ADD COLUMN with a constant default: no table rebuild on SQLite.
    op.add_column(
        "auth_users",
        sa.Column("password_generated", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    # In place, as auth_0004's note: a batch rebuild would cascade through what refers to it.
    op.drop_column("auth_users", "password_generated")
