"""When each account last signed in: ``auth_users.last_signed_in_at`` (null for an account
that never has since, and for every account until its next sign-in: nothing before this
revision recorded it).

A plain ADD COLUMN, nullable: no table is rebuilt, and the release before this one reads
and writes accounts as it did. The downgrade drops it in place (a batch rebuild would
cascade through what refers to the accounts).
"""

from __future__ import annotations

from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "auth_0015"
down_revision: str | None = "auth_0014"


def upgrade() -> None:
    """The column."""
    op.add_column("auth_users", ddl.timestamp("last_signed_in_at", nullable=True))


def downgrade() -> None:
    """The column, in place."""
    op.drop_column("auth_users", "last_signed_in_at")
