"""Ingest table: uploads being received, processed, or recently finished."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "ingest_0001"
down_revision: str | None = None


def upgrade() -> None:
    op.create_table(
        "ingest_uploads",
        ddl.uuid_column("id"),
        ddl.column("kind", sa.String(8)),
        ddl.column("state", sa.String(16)),
        ddl.column("created_by", sa.String(64)),
        ddl.column("length", sa.BigInteger(), nullable=True),
        ddl.column("received", sa.BigInteger()),
        ddl.column("part_bytes", sa.Integer()),
        ddl.column("object_key", sa.String(128), nullable=True),
        ddl.column("container", sa.String(16), nullable=True),
        ddl.column("multipart_id", sa.String(1024), nullable=True),
        ddl.column("parts", sa.JSON()),
        ddl.column("tail", sa.LargeBinary()),
        ddl.column("upload_metadata", sa.Text()),
        ddl.column("title", sa.String(200)),
        ddl.column("description", sa.Text()),
        ddl.column("tags", sa.JSON()),
        ddl.column("publish", sa.Boolean()),
        ddl.column("error", sa.Text(), nullable=True),
        ddl.column("error_status", sa.Integer(), nullable=True),
        ddl.column("item", sa.JSON(), nullable=True),
        ddl.timestamp("created_at"),
        ddl.timestamp("updated_at"),
        ddl.timestamp("expires_at"),
        ddl.column("lease_token", sa.String(32), nullable=True),
        ddl.timestamp("lease_until", nullable=True),
        ddl.primary_key("ingest_uploads", "id"),
    )
    op.create_index("ix_ingest_uploads_state", "ingest_uploads", ["state"])
    op.create_index("ix_ingest_uploads_expires_at", "ingest_uploads", ["expires_at"])


def downgrade() -> None:
    op.drop_table("ingest_uploads")
