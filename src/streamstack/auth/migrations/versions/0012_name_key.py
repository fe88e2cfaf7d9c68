"""The admins' user list finds a member by name as well as by email: each account's
display name folded as search folds (``kernel.text.fold``: case and accents dropped), so
"carlos" finds "Carlós" on both backends alike. Accounts are read in batches by id and
their key written.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl
from streamstack.kernel.text import fold

revision: str = "auth_0012"
down_revision: str | None = "auth_0011"

#: Accounts read and written per statement.
BATCH = 1000

_USERS = sa.table(
    "auth_users",
    sa.column("id", sa.Uuid()),
    sa.column("display_name", sa.String()),
    sa.column("name_key", sa.Text()),
)


def upgrade() -> None:
    # A plain ADD COLUMN, nullable: no table rebuild on SQLite.
    op.add_column("auth_users", sa.Column("name_key", sa.Text(), nullable=True))
    connection = op.get_bind()
    write = (
        sa.update(_USERS)
        .where(_USERS.c.id == sa.bindparam("user_id"))
        .values(name_key=sa.bindparam("key"))
    )
    named = sa.select(_USERS.c.id, _USERS.c.display_name).where(_USERS.c.display_name.is_not(None))
    for rows in ddl.in_batches(connection, named, _USERS.c.id, BATCH):
        connection.execute(write, [{"user_id": r.id, "key": fold(r.display_name)} for r in rows])


def downgrade() -> None:
    # In place, as auth_0010's: a batch rebuild would cascade through what refers to it.
    op.drop_column("auth_users", "name_key")
