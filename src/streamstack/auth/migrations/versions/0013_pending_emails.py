"""A new sign-in email takes effect once its owner confirms it: the email asked for, the
hash of the single-use code mailed to it, and whether the code was used (or withdrawn).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "auth_0013"
down_revision: str | None = "auth_0012"

_TABLE = "auth_pending_emails"


def upgrade() -> None:
    op.create_table(
        _TABLE,
        ddl.uuid_column("id"),
        ddl.uuid_column("user_id"),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        ddl.timestamp("created_at"),
        ddl.timestamp("expires_at"),
        ddl.timestamp("used_at", nullable=True),
        ddl.primary_key(_TABLE, "id"),
        ddl.foreign_key(_TABLE, "user_id", "auth_users", ondelete="CASCADE"),
        ddl.unique(_TABLE, "code_hash"),
    )
    op.create_index(f"ix_{_TABLE}_user_id", _TABLE, ["user_id"])


def downgrade() -> None:
    op.drop_table(_TABLE)
