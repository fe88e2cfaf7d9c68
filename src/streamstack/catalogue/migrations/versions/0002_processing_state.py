"""Media items get a processing state, their renditions, and whether they are playable.

Plain ``ADD COLUMN``s with constant defaults on both backends: no table rebuild on SQLite
(a rebuild would drop ``media_items`` under ``media_tags``' cascading foreign key).

Items registered before this revision were served as uploaded, so they are taken as
playable only if the original is browser-safe (H.264 video, AAC or no audio, MP4).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "catalogue_0002"
down_revision: str | None = "catalogue_0001"


def _new_columns() -> tuple[sa.Column[Any], ...]:
    """The columns this revision adds to ``media_items``: new objects at every call, since a
    column belongs to the one table it is added to."""
    return (
        ddl.column("original_playable", sa.Boolean(), server_default=sa.true()),
        ddl.column("playable", sa.Boolean(), server_default=sa.true()),
        ddl.column("processing_state", sa.String(16), server_default=sa.text("'none'")),
        ddl.column("processing_percent", sa.Integer(), server_default=sa.text("0")),
        ddl.column("processing_detail", sa.String(500), nullable=True),
        ddl.column("renditions", sa.JSON(), server_default=sa.text("'[]'")),
        ddl.column("has_hls", sa.Boolean(), server_default=sa.false()),
        ddl.column("has_storyboard", sa.Boolean(), server_default=sa.false()),
    )


def upgrade() -> None:
    for column in _new_columns():
        op.add_column("media_items", column)
    op.execute(
        "UPDATE media_items SET original_playable = false, playable = false"
        " WHERE NOT (COALESCE(video_codec, '') = 'h264'"
        " AND COALESCE(audio_codec, 'aac') = 'aac' AND content_type = 'video/mp4')"
    )


def downgrade() -> None:
    # In place, not a batch: see catalogue_0019's downgrade.
    for column in reversed(_new_columns()):
        op.drop_column("media_items", column.name)
