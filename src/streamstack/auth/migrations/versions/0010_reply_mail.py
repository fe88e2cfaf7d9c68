"""Mail of replies to one's comments: whether an account wants it (on for every account,
old and new, until its owner turns it off), and until when an account is mailed no other
reply on a video (one mail for a flood of replies).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "auth_0010"
down_revision: str | None = "auth_0009"


def upgrade() -> None:
    # A plain ADD COLUMN with a constant default: no table rebuild on SQLite.
    op.add_column(
        "auth_users",
        sa.Column("reply_mail", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "auth_reply_mail_quiet",
        ddl.uuid_column("user_id"),
        ddl.uuid_column("item_id"),
        ddl.timestamp("quiet_until"),
        ddl.primary_key("auth_reply_mail_quiet", "user_id", "item_id"),
        ddl.foreign_key("auth_reply_mail_quiet", "user_id", "auth_users", ondelete="CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("auth_reply_mail_quiet")
    # In place, as auth_0004's note: a batch rebuild would cascade through what refers to it.
    op.drop_column("auth_users", "reply_mail")
