"""The ingest module's tables: uploads, from the first byte until they are registered, and
its outbox of transcoding jobs for the job queue.

A row lives while its upload is received and processed, and a while after (so clients can
poll the outcome), then the sweeper removes it. Resumable (tus) uploads keep their whole
receiving state here, so any replica can continue one:

* ``received`` bytes are committed; they are exactly the stored multipart ``parts`` plus
  the *tail*, the bytes not yet numerous enough for a part (S3 wants 5 MiB per part but
  the last). The tail is kept as :class:`UploadChunk` rows, one per request that added to
  it, written in the same transaction as the offset that counts them: a request appends
  its own bytes and never rewrites what earlier requests buffered, so its cost does not
  grow with the tail.
* a *lease* (``lease_token``/``lease_until``) says which request currently works on the
  upload; it is renewed while the work goes on, and lapses if its replica dies.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any, Literal

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from streamstack.kernel.db import module_metadata
from streamstack.kernel.outbox import OutboxColumns

UploadKind = Literal["form", "tus"]
#: ``registering`` is ``processing`` past the point of no return: catalogue was asked to
#: create the item, so the objects must not be deleted behind its back.
UploadState = Literal["uploading", "processing", "registering", "done", "failed"]


class IngestBase(DeclarativeBase):
    """Declarative base of the ingest module only, so its migrations cover only its table."""

    metadata = module_metadata()


class Upload(IngestBase):
    """One upload: a multipart form post or a resumable tus upload."""

    __tablename__ = "ingest_uploads"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    #: Total size announced by a tus client (None for form posts until they are stored).
    length: Mapped[int | None] = mapped_column(BigInteger)
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    part_bytes: Mapped[int] = mapped_column(Integer)
    object_key: Mapped[str | None] = mapped_column(String(128))
    container: Mapped[str | None] = mapped_column(String(16))
    multipart_id: Mapped[str | None] = mapped_column(String(1024))
    #: ``[[number, size, etag], ...]`` of the stored multipart parts.
    parts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: The client's ``Upload-Metadata`` header, echoed back by HEAD.
    upload_metadata: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    publish: Mapped[bool] = mapped_column(Boolean, default=True)
    #: When the new item, a draft, goes public (None: no schedule).
    publish_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC)
    error: Mapped[str | None] = mapped_column(Text)
    error_status: Mapped[int | None] = mapped_column(Integer)
    #: The catalogue item, as JSON, once registered.
    item: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)
    updated_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)
    expires_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC, index=True)
    #: The item whose video file this upload replaces (None: it becomes a new item).
    replaces: Mapped[str | None] = mapped_column(String(36), index=True)
    lease_token: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC)


class UploadChunk(IngestBase):
    """Bytes of a resumable upload's tail: ``data`` starts at byte ``offset`` of the file.

    The tail is the rows whose offset lies between the bytes stored in parts and
    ``Upload.received``; rows below the parts are leftovers, deleted by the next request's
    commit (until then, a request that fails at the finish puts the upload back on them).
    """

    __tablename__ = "ingest_upload_chunks"

    upload_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("ingest_uploads.id", ondelete="CASCADE"), primary_key=True
    )
    offset: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class IngestOutboxRow(OutboxColumns, IngestBase):
    """A transcoding job ingest owes the job queue: a kernel outbox row (event id = job id
    = the item's uuid, subject = job kind), recorded before its item is registered and sent
    by the upload, or by the relay once due (see :class:`~streamstack.ingest.jobs.TranscodeJobs`)."""

    __tablename__ = "ingest_outbox"
    EVENT_ID_LENGTH = 128
    SUBJECT_LENGTH = 64
    PENDING_INDEX_ON = "due_at"

    #: Attempts to queue it (failed ones, and the one that worked).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: From when the relay queues it (until then the upload that recorded it does).
    due_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)
