"""Ingest table: uploads being received, processed, or recently finished."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel.migrations import primary_key, timestamp, uuid_column

revision: str = "ingest_0001"
down_revision: str | None = None


def upgrade() -> None:
    op.create_table(
        "ingest_uploads",
        uuid_column("id"),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=True),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("part_bytes", sa.Integer(), nullable=False),
        sa.Column("object_key", sa.String(128), nullable=True),
        sa.Column("container", sa.String(16), nullable=True),
        sa.Column("multipart_id", sa.String(1024), nullable=True),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("tail", sa.LargeBinary(), nullable=False),
        sa.Column("upload_metadata", sa.Text(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("publish", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("error_status", sa.Integer(), nullable=True),
        sa.Column("item", sa.JSON(), nullable=True),
        timestamp("created_at"),
        timestamp("updated_at"),
        timestamp("expires_at"),
        sa.Column("lease_token", sa.String(32), nullable=True),
        timestamp("lease_until", nullable=True),
        primary_key("ingest_uploads", "id"),
    )
    op.create_index("ix_ingest_uploads_state", "ingest_uploads", ["state"])
    op.create_index("ix_ingest_uploads_expires_at", "ingest_uploads", ["expires_at"])


def downgrade() -> None:
    op.drop_table("ingest_uploads")
