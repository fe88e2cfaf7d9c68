"""What became of an invite: ``auth_invites.revoked_by`` (the admin who revoked it; null
when it was withdrawn for them, or that account is gone) and ``revoked_reason`` (null when
an admin revoked it, as every invite revoked before; ``maker_no_longer_admin``,
``invitee_joined``), and the index that finds the invites mailed to one address.

Plain ADD COLUMNs (the key inline on SQLite, which cannot add a constraint to a table): no
table is rebuilt, and the release before this one reads and writes invites as it did. The
downgrade drops them in place (a batch rebuild would cascade through what refers to them).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "auth_0014"
down_revision: str | None = "auth_0013"


def upgrade() -> None:
    """The two columns, then the index."""
    revoker = sa.ForeignKey(
        "auth_users.id", ondelete="SET NULL", name="fk_auth_invites_revoked_by_auth_users"
    )
    op.add_column(
        "auth_invites",
        sa.Column("revoked_by", sa.Uuid(), revoker, nullable=True),
        inline_references=op.get_context().dialect.name == "sqlite",
    )
    op.add_column("auth_invites", sa.Column("revoked_reason", sa.Text(), nullable=True))
    op.create_index("ix_auth_invites_mailed_to", "auth_invites", ["mailed_to"])


def downgrade() -> None:
    """The index, then the columns, in place."""
    op.drop_index("ix_auth_invites_mailed_to", table_name="auth_invites")
    op.drop_column("auth_invites", "revoked_reason")
    op.drop_column("auth_invites", "revoked_by")
