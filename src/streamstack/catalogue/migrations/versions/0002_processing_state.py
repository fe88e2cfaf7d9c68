"""Media items get a processing state, their renditions, and whether they are playable.

Plain ``ADD COLUMN``s with constant defaults on both backends: no table rebuild on SQLite
(a rebuild would drop ``media_items`` under ``media_tags``' cascading foreign key).

Items registered before this revision were served as uploaded, so they are taken as
playable only if the original is browser-safe (H.264 video, AAC or no audio, MP4).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "catalogue_0002"
down_revision: str | None = "catalogue_0001"

_NEW_COLUMNS = (
    "original_playable",
    "playable",
    "processing_state",
    "processing_percent",
    "processing_detail",
    "renditions",
    "has_hls",
    "has_storyboard",
)


def upgrade() -> None:
    for column in (
        ddl.column("original_playable", sa.Boolean(), server_default=sa.true()),
        ddl.column("playable", sa.Boolean(), server_default=sa.true()),
        ddl.column("processing_state", sa.String(16), server_default=sa.text("'none'")),
        ddl.column("processing_percent", sa.Integer(), server_default=sa.text("0")),
        ddl.column("processing_detail", sa.String(500), nullable=True),
        ddl.column("renditions", sa.JSON(), server_default=sa.text("'[]'")),
        ddl.column("has_hls", sa.Boolean(), server_default=sa.false()),
        ddl.column("has_storyboard", sa.Boolean(), server_default=sa.false()),
    ):
        op.add_column("media_items", column)
    op.execute(
        "UPDATE media_items SET original_playable = false, playable = false"
        " WHERE NOT (COALESCE(video_codec, '') = 'h264'"
        " AND COALESCE(audio_codec, 'aac') = 'aac' AND content_type = 'video/mp4')"
    )


def downgrade() -> None:
    with op.batch_alter_table("media_items") as batch:
        for name in reversed(_NEW_COLUMNS):
            batch.drop_column(name)
