"""Two-factor authentication: an account's TOTP secret (pending until its first code
confirms it, then on, with the last time step used) and its unused recovery codes' hashes;
both go with the account.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "auth_0005"
down_revision: str | None = "auth_0004"


def upgrade() -> None:
    op.create_table(
        "auth_two_factor",
        ddl.uuid_column("user_id"),
        ddl.column("secret", sa.String(64)),
        ddl.timestamp("created_at"),
        ddl.timestamp("enabled_at", nullable=True),
        ddl.column("last_step", sa.BigInteger(), nullable=True),
        ddl.primary_key("auth_two_factor", "user_id"),
        ddl.foreign_key("auth_two_factor", "user_id", "auth_users", ondelete="CASCADE"),
    )
    op.create_table(
        "auth_recovery_codes",
        ddl.uuid_column("user_id"),
        ddl.column("code_hash", sa.String(64)),
        ddl.primary_key("auth_recovery_codes", "user_id", "code_hash"),
        ddl.foreign_key("auth_recovery_codes", "user_id", "auth_users", ondelete="CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("auth_recovery_codes")
    op.drop_table("auth_two_factor")
