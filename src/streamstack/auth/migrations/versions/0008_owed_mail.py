"""Mail that survives a restart: the mail a committed change owes (a reset link, a
security notice, an invite) is a row written with the change, taken and sent by any
replica's task ``auth.mail``, and deleted once sent or given up.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "auth_0008"
down_revision: str | None = "auth_0007"


def upgrade() -> None:
    op.create_table(
        "auth_owed_mail",
        ddl.uuid_column("id"),
        ddl.column("kind", sa.String(32)),
        ddl.column("letter", sa.LargeBinary()),
        ddl.timestamp("created_at"),
        ddl.timestamp("due_at"),
        ddl.column("attempts", sa.Integer()),
        ddl.primary_key("auth_owed_mail", "id"),
    )
    op.create_index("ix_auth_owed_mail_due_at", "auth_owed_mail", ["due_at"])


def downgrade() -> None:
    op.drop_table("auth_owed_mail")
