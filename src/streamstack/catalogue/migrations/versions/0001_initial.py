"""Catalogue tables: media items, their tags, and the event outbox."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "catalogue_0001"
down_revision: str | None = None


def upgrade() -> None:
    _create_media_items()
    _create_media_tags()
    _create_outbox()


def _create_media_items() -> None:
    op.create_table(
        "media_items",
        ddl.uuid_column("id"),
        ddl.column("title", sa.String(200)),
        ddl.column("title_key", sa.String(200)),
        ddl.column("description", sa.Text()),
        ddl.column("status", sa.String(16)),
        ddl.column("s3_key", sa.String(1024)),
        ddl.column("size_bytes", sa.BigInteger()),
        ddl.column("content_type", sa.String(255)),
        ddl.column("duration_seconds", sa.Float(), nullable=True),
        ddl.column("video_codec", sa.String(64), nullable=True),
        ddl.column("audio_codec", sa.String(64), nullable=True),
        ddl.column("width", sa.Integer(), nullable=True),
        ddl.column("height", sa.Integer(), nullable=True),
        ddl.column("fps", sa.Float(), nullable=True),
        ddl.column("thumbnail_s3_key", sa.String(1024), nullable=True),
        ddl.column("search_text", sa.Text()),
        ddl.column("created_by", sa.String(255)),
        ddl.timestamp("created_at"),
        ddl.timestamp("updated_at"),
        ddl.timestamp("published_at", nullable=True),
        ddl.primary_key("media_items", "id"),
        sa.CheckConstraint("status IN ('draft', 'published')", name="ck_media_items_status"),
    )
    for name, columns in (
        ("ix_media_items_status_published_at", ["status", "published_at", "id"]),
        ("ix_media_items_status_created_at", ["status", "created_at", "id"]),
        ("ix_media_items_status_title_key", ["status", "title_key", "id"]),
        ("ix_media_items_status_duration", ["status", "duration_seconds", "id"]),
    ):
        op.create_index(name, "media_items", columns)


def _create_media_tags() -> None:
    op.create_table(
        "media_tags",
        ddl.uuid_column("media_id"),
        ddl.column("tag", sa.String(40)),
        ddl.primary_key("media_tags", "media_id", "tag"),
        ddl.foreign_key("media_tags", "media_id", "media_items", ondelete="CASCADE"),
    )
    op.create_index("ix_media_tags_tag_media_id", "media_tags", ["tag", "media_id"])


def _create_outbox() -> None:
    attempts = ddl.column("attempts", sa.Integer())
    items = ddl.outbox_table(
        "catalogue_outbox",
        event_id_length=36,
        subject_length=255,
        extra=[attempts],
        pending_on="seq",
    )
    op.create_table("catalogue_outbox", *items)


def downgrade() -> None:
    op.drop_table("catalogue_outbox")
    op.drop_table("media_tags")
    op.drop_table("media_items")
