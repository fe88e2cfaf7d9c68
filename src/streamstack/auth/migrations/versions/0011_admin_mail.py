"""Admins' mail of what needs them (a video that failed to transcode, a comment reported):
whether an account wants it (on for every account until its owner turns it off; read for
admins alone), and until when an admin is mailed nothing more of each kind (one mail for a
burst).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "auth_0011"
down_revision: str | None = "auth_0010"


def upgrade() -> None:
    # A plain ADD COLUMN with a constant default: no table rebuild on SQLite.
    op.add_column(
        "auth_users",
        sa.Column("admin_mail", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "auth_admin_mail_quiet",
        ddl.uuid_column("user_id"),
        sa.Column("kind", sa.String(32), nullable=False),
        ddl.timestamp("quiet_until"),
        ddl.primary_key("auth_admin_mail_quiet", "user_id", "kind"),
        ddl.foreign_key("auth_admin_mail_quiet", "user_id", "auth_users", ondelete="CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("auth_admin_mail_quiet")
    # In place, as auth_0010's: a batch rebuild would cascade through what refers to it.
    op.drop_column("auth_users", "admin_mail")
