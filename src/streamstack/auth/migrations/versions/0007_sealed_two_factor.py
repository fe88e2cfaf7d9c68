"""Two-factor secrets sealed at rest (``kernel/sealing.py``): the column is widened for the
sealed form (some 92 characters for a 32-character secret). The rows themselves are sealed
by the auth service at start-up (the keys are a file, not the database's to know).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "auth_0007"
down_revision: str | None = "auth_0006"


def upgrade() -> None:
    # A plain ALTER on Postgres; a rebuild on SQLite, safe here as no table refers to this one.
    with op.batch_alter_table("auth_two_factor") as batch:
        batch.alter_column("secret", type_=sa.String(128))


def downgrade() -> None:
    # Kept wide: sealed values do not fit the old width, and the old code cannot open them
    # (its accounts with two-factor on are then refused, never let in: an admin turns it
    # off for them). Dropping the secrets instead would turn two-factor off silently.
    pass
