"""Drafts announced: every item that is a draft now is announced as not published.

Since this revision a draft's registration (and every unpublishing) emits
``media.unpublished``, from which streaming learns to refuse the item's thumbnail and
poster to all but admins. Drafts registered before it sent nothing, or sent their
unpublishing longer ago than the events stream keeps events: each gets one
``media.unpublished`` now, through the outbox the relay sends from. The payload is the
event's shape as it stands in this revision (a ``MediaWithdrawn``), written out here so
that a later change of the contract does not change what this revision wrote.
"""

from __future__ import annotations

import datetime
import json
import uuid

import sqlalchemy as sa
from alembic import op

revision: str = "catalogue_0016"
down_revision: str | None = "catalogue_0015"

UNPUBLISHED = "catalogue.events.media.unpublished"

_ITEMS = sa.table(
    "media_items",
    sa.column("id", sa.Uuid()),
    sa.column("status", sa.String()),
    sa.column("s3_key", sa.String()),
    sa.column("thumbnail_s3_key", sa.String()),
)
_OUTBOX = sa.table(
    "catalogue_outbox",
    sa.column("event_id", sa.String()),
    sa.column("subject", sa.String()),
    sa.column("payload", sa.LargeBinary()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("sent_at", sa.DateTime(timezone=True)),
    sa.column("attempts", sa.Integer()),
)


def upgrade() -> None:
    """One ``media.unpublished`` a draft, withdrawn now."""
    connection = op.get_bind()
    now = datetime.datetime.now(datetime.UTC)
    drafts = connection.execute(
        sa.select(_ITEMS.c.id, _ITEMS.c.s3_key, _ITEMS.c.thumbnail_s3_key)
        .where(_ITEMS.c.status == "draft")
        .order_by(_ITEMS.c.id)
    ).all()
    rows = [
        {
            "event_id": str(uuid.uuid4()),
            "subject": UNPUBLISHED,
            "payload": _withdrawal(str(item_id), s3_key, thumbnail, now),
            "created_at": now,
            "sent_at": None,
            "attempts": 0,
        }
        for item_id, s3_key, thumbnail in drafts
    ]
    if rows:
        connection.execute(sa.insert(_OUTBOX), rows)


def _withdrawal(media_id: str, s3_key: str, thumbnail: str | None, now: datetime.datetime) -> bytes:
    return json.dumps(
        {
            "id": media_id,
            "object_prefix": f"{media_id}/",
            "s3_key": s3_key,
            "thumbnail_s3_key": thumbnail,
            "withdrawn_at": now.isoformat(),
        },
        separators=(",", ":"),
    ).encode()


def downgrade() -> None:
    """Nothing to undo: announcing what is true of the drafts changed no table."""
