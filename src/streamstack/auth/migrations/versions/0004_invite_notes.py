"""Invite notes: what an admin wrote to tell an invite apart ("for Alice, video club"),
since only its code's hash is kept. Invites made before have none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "auth_0004"
down_revision: str | None = "auth_0003"


def upgrade() -> None:
    # A plain ADD COLUMN of a nullable column: no table rebuild on SQLite. The length is
    # written out, not read from contracts.limits: this revision must build the same
    # column for ever (a longer limit is a new revision).
    op.add_column("auth_invites", ddl.column("note", sa.String(200), nullable=True))


def downgrade() -> None:
    # In place, not a batch: SQLite's table rebuild drops the old table under the
    # cascading keys of what refers to it (a user's sessions went with auth_users).
    op.drop_column("auth_invites", "note")
