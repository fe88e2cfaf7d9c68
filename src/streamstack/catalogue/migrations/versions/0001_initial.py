"""Catalogue tables: media items, their tags, and the event outbox."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel.migrations import (
    foreign_key,
    primary_key,
    sequence_number,
    timestamp,
    unique,
    uuid_column,
)

revision: str = "catalogue_0001"
down_revision: str | None = None


def upgrade() -> None:
    _create_media_items()
    _create_media_tags()
    _create_outbox()


def _create_media_items() -> None:
    op.create_table(
        "media_items",
        uuid_column("id"),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("title_key", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("s3_key", sa.String(1024), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("video_codec", sa.String(64), nullable=True),
        sa.Column("audio_codec", sa.String(64), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("fps", sa.Float(), nullable=True),
        sa.Column("thumbnail_s3_key", sa.String(1024), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        timestamp("created_at"),
        timestamp("updated_at"),
        timestamp("published_at", nullable=True),
        primary_key("media_items", "id"),
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
        uuid_column("media_id"),
        sa.Column("tag", sa.String(40), nullable=False),
        primary_key("media_tags", "media_id", "tag"),
        foreign_key("media_tags", "media_id", "media_items", ondelete="CASCADE"),
    )
    op.create_index("ix_media_tags_tag_media_id", "media_tags", ["tag", "media_id"])


def _create_outbox() -> None:
    op.create_table(
        "catalogue_outbox",
        sequence_number(),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        timestamp("created_at"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        timestamp("sent_at", nullable=True),
        primary_key("catalogue_outbox", "seq"),
        unique("catalogue_outbox", "event_id"),
    )
    op.create_index(
        "ix_catalogue_outbox_pending",
        "catalogue_outbox",
        ["seq"],
        postgresql_where=sa.text("sent_at IS NULL"),
        sqlite_where=sa.text("sent_at IS NULL"),
    )
    op.create_index("ix_catalogue_outbox_sent_at", "catalogue_outbox", ["sent_at"])


def downgrade() -> None:
    op.drop_table("catalogue_outbox")
    op.drop_table("media_tags")
    op.drop_table("media_items")
