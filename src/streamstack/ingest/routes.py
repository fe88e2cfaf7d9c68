"""Ingest's HTTP API under ``/api/v1/ingest``, admins only.

* ``POST /upload``: a multipart/form-data post whose ``file`` part streams to storage.
* ``/uploads``: the tus 1.0 resumable-upload endpoint (OPTIONS, POST, HEAD, PATCH, DELETE),
  and ``GET``: every uploader's unfinished uploads, for admins to cancel abandoned ones.
* ``GET /jobs/{upload_id}``: how an upload ended (the SPA polls it after the last PATCH).
* ``PUT``/``DELETE /items/{item_id}/captions/{language}``: add, replace or remove an item's
  caption track (the body of a PUT is the WebVTT or SubRip file itself).
* ``POST /items/{item_id}/transcode``: transcode an item whose transcoding failed again.
* ``PUT /items/{item_id}/thumbnail``: make the thumbnail of the frame at a chosen moment;
  ``PUT /items/{item_id}/thumbnail/image``: of an image (the body is the image itself);
  ``DELETE /items/{item_id}/thumbnail``: back to the automatic frame.
* ``POST /items/{item_id}/probe``: read an item's original again for its facts (chapters …)
  and whether it plays; one that no longer does is queued for transcoding.
* ``GET /storage/audit``, ``POST /storage/audit/delete``: objects of no item (orphans) in
  ingest's buckets, reported or deleted.
* ``GET /formats``: the kinds of file ingest takes (the upload page's file picker offers them).
* ``GET /transcoding``: the transcoding jobs waiting and running, and the workers seen.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any, ClassVar

from litestar import (
    Controller,
    Request,
    Response,
    delete,
    get,
    head,
    patch,
    post,
    put,
    route,
)
from litestar.connection import ASGIConnection
from litestar.datastructures import ResponseHeader
from litestar.enums import HttpMethod, MediaType
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)
from litestar.openapi.spec import Parameter as HeaderDoc
from litestar.params import Parameter
from litestar.response.base import ASGIResponse

from streamstack.contracts.caption_encodings import CAPTION_ENCODING_LABEL, CAPTION_ENCODINGS
from streamstack.contracts.catalogue import MediaItem
from streamstack.contracts.limits import (
    AUDIT_GRACE_MAX_SECONDS,
    CAPTION_LABEL_MAX,
    CAPTION_LANGUAGE_MAX,
    CAPTION_MAX_BYTES,
    LANGUAGE_AS_WRITTEN,
    LIST_LIMIT_MAX,
    LIST_OFFSET_MAX,
    ONE_LINE,
    PUBLISH_AHEAD_MAX_YEARS,
    STILL_IMAGE_MAX_BYTES,
    STILL_IMAGE_MAX_SIDE,
)
from streamstack.ingest import tus
from streamstack.ingest.caption_tracks import CaptionTracks, parsed_upload
from streamstack.ingest.form import StreamingForm, boundary_of
from streamstack.ingest.originals import FactsReading
from streamstack.ingest.schemas import (
    AcceptedFormats,
    CaptionTrackList,
    ChosenThumbnail,
    FactsRead,
    Job,
    StorageAuditReport,
    ThumbnailMoment,
    TranscodingStatus,
    UnfinishedUploadPage,
)
from streamstack.ingest.service import (
    ClientDisconnected,
    IngestService,
    TranscodeRetries,
    UploadStatus,
)
from streamstack.ingest.still_images import IMAGE_CONTENT_TYPES
from streamstack.ingest.storage_audit import StorageAudit
from streamstack.ingest.thumbnails import ThumbnailChoice
from streamstack.ingest.transcoding_status import TranscodingQueue
from streamstack.kernel.dependencies import CALLER, provide_values
from streamstack.kernel.errors import AppError, BadRequest, PayloadTooLarge, UnsupportedMediaType
from streamstack.kernel.guards import Principal, requires_admin
from streamstack.kernel.http import http_date
from streamstack.kernel.module import ModuleRouter
from streamstack.kernel.openapi import BEARER, error_responses
from streamstack.kernel.operation import CallContext
from streamstack.kernel.patterns import whole

PREFIX = "/api/v1/ingest"


async def request_chunks(request: Request[Any, Any, Any]) -> AsyncIterator[bytes]:
    """The request body as it arrives; :class:`ClientDisconnected` if the client leaves."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected("the client disconnected during the upload")
        if message["type"] == "http.request":
            body = message.get("body", b"")
            if body:
                yield body
            if not message.get("more_body", False):
                return


async def until_disconnected(request: Request[Any, Any, Any]) -> None:
    """Return once the client has gone away (call only after the body was read)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


def content_length(request: Request[Any, Any, Any]) -> int | None:
    """The announced body size, if any (400 when malformed)."""
    raw = request.headers.get("content-length")
    if raw is None:
        return None
    if not raw.strip().isdigit():
        raise BadRequest("Content-Length must be a non-negative integer", code="validation_error")
    return int(raw)


@dataclasses.dataclass
class UploadFormOperation(Operation):
    """The form upload's OpenAPI operation: its ``multipart/form-data`` body is read by the
    handler itself as it arrives (the file is streamed), which Litestar cannot infer."""

    def __post_init__(self) -> None:
        text = Schema(type=OpenAPIType.STRING)
        form = Schema(
            type=OpenAPIType.OBJECT,
            properties={
                "file": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY),
                "title": Schema(type=OpenAPIType.STRING, min_length=1),
                "description": text,
                "tags": Schema(type=OpenAPIType.ARRAY, items=text),
                "publish": Schema(type=OpenAPIType.STRING, enum=["true", "false"]),
                "publish_at": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.DATE_TIME),
            },
            required=["file", "title"],
        )
        self.request_body = RequestBody(
            content={"multipart/form-data": OpenAPIMediaType(schema=form)}, required=True
        )


class UploadController(Controller):
    """Form uploads and job status."""

    path = "/"

    @post(
        "/upload",
        status_code=201,
        request_max_body_size=None,  # the service enforces max_upload_bytes itself
        operation_class=UploadFormOperation,
        responses=error_responses(
            {
                400: "The form is malformed or a field is invalid.",
                413: "The file is larger than the upload limit (`upload_too_large`), or than "
                "the room left on the server's local media storage (`storage_full`).",
                415: "Not multipart/form-data, or not a supported video or sound file.",
            }
        ),
        summary="Upload a video as multipart/form-data",
        description="Fields: file (required), title (required), description, tags "
        "(repeated or comma-separated), publish (true/false, default true), publish_at "
        "(RFC 3339 with its offset: the item stays a draft, scheduled to go public then; "
        f"in the future, at most {PUBLISH_AHEAD_MAX_YEARS} years ahead; publish is then "
        "false). The file "
        "streams to storage as it arrives; answers the catalogue item.",
    )
    async def upload(
        self,
        request: Request[Any, Any, Any],
        service: IngestService,
        principal: Principal,
        call_context: CallContext,
    ) -> MediaItem:
        """Store, probe, thumbnail and register one uploaded video."""
        form = StreamingForm(
            request_chunks(request), boundary_of(request.headers.get("content-type", ""))
        )
        return await service.upload_form(
            form,
            principal,
            call_context,
            abandoned=lambda: until_disconnected(request),
            announced=content_length(request),
        )

    @get("/jobs/{upload_id:uuid}", summary="Where an upload is, and how it ended")
    async def job(
        self,
        upload_id: uuid.UUID,
        service: IngestService,
        principal: Principal,
        call_context: CallContext,
    ) -> Job:
        """``uploading``, ``processing``, ``done`` (with the item) or ``failed`` (with why)."""
        return await service.job(upload_id, principal, call_context)


@contextlib.contextmanager
def _tus_errors() -> Iterator[None]:
    try:
        yield
    except AppError as exc:
        raise tus.with_tus_headers(exc) from None


def _tus_headers(status: UploadStatus, **extra: str) -> dict[str, str]:
    return {
        "Tus-Resumable": tus.VERSION,
        "Upload-Offset": str(status.offset),
        "Upload-Expires": http_date(status.expires_at),
        "Cache-Control": "no-store",
        **extra,
    }


_CREATED_HEADERS = [
    ResponseHeader(name=name, description=description, documentation_only=True)
    for name, description in (
        ("Tus-Resumable", "the protocol version: 1.0.0"),
        ("Location", "the new upload's URL, to HEAD, PATCH and DELETE"),
        ("Upload-Offset", "0: nothing is stored yet"),
        ("Upload-Expires", "when the upload is dropped unless it goes on"),
    )
]


def _no_body(description: str, status: int = 204) -> dict[int, ResponseSpec]:
    """Document an answer that has no body (its tus headers carry the information)."""
    return {status: ResponseSpec(data_container=None, description=description)}


#: A decimal count of bytes in a tus header (``tus.parse_non_negative``'s rule).
_BYTE_COUNT = whole(r"\s*[0-9]{1,19}\s*")


def _tus_header(name: str, description: str, pattern: str | None = None) -> HeaderDoc:
    """The document's entry for a required tus header that a handler reads itself."""
    schema = Schema(type=OpenAPIType.STRING, pattern=pattern)
    return HeaderDoc(
        name=name, param_in="header", required=True, description=description, schema=schema
    )


@dataclasses.dataclass
class TusOperation(Operation):
    """A tus request's operation (any but OPTIONS): ``Tus-Resumable``, which
    ``requires_tus_version`` checks before the handler runs, its 412, and the headers the
    handler reads itself, documented (``document_errors`` gives the 412 the error body)."""

    #: The headers the handler reads itself.
    read_headers: ClassVar[tuple[HeaderDoc, ...]] = ()

    def __post_init__(self) -> None:
        version = HeaderDoc(
            name="Tus-Resumable",
            param_in="header",
            required=True,
            description="the tus version: 1.0.0",
            schema=Schema(const=tus.VERSION),
        )
        self.parameters = [*(self.parameters or []), version, *self.read_headers]
        refused = OpenAPIResponse(description="Tus-Resumable is not 1.0.0.")
        self.responses = {**(self.responses or {}), "412": refused}


class TusCreationOperation(TusOperation):
    """tus creation's operation: ``Upload-Length`` and ``Upload-Metadata``."""

    read_headers = (
        _tus_header("Upload-Length", "the file's size in bytes", _BYTE_COUNT),
        _tus_header(
            "Upload-Metadata",
            "comma-separated `key base64(value)` pairs: title (required), filename, "
            "filetype, description, tags, publish, publish_at (as the form upload's fields); "
            "or replaces (an item's id) alone",
        ),
    )


class TusAppendOperation(TusOperation):
    """tus PATCH's operation: ``Upload-Offset`` and the raw body, read by the handler."""

    read_headers = (
        _tus_header("Upload-Offset", "where the body goes: the upload's offset", _BYTE_COUNT),
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        binary = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
        self.request_body = RequestBody(
            content={tus.OFFSET_CONTENT_TYPE: OpenAPIMediaType(schema=binary)}, required=True
        )


def requires_tus_version(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard: every tus request but OPTIONS carries ``Tus-Resumable: 1.0.0`` (else 412)."""
    if connection.scope.get("method") != "OPTIONS":
        tus.check_version(connection.headers)


class ResumableUploadController(Controller):
    """The tus 1.0 endpoint: core, creation, termination, expiration."""

    path = "/uploads"
    guards = [requires_tus_version]

    @route(
        "/",
        http_method=HttpMethod.OPTIONS,
        status_code=204,
        summary="tus capabilities",
        responses=_no_body(
            "No body: Tus-Version, Tus-Extension and Tus-Max-Size say what this server takes."
        ),
    )
    async def capabilities(self, service: IngestService) -> Response[None]:
        """Versions, extensions and the largest upload this server takes."""
        return Response(
            None,
            status_code=204,
            headers={
                "Tus-Resumable": tus.VERSION,
                "Tus-Version": tus.VERSION,
                "Tus-Extension": tus.EXTENSIONS,
                "Tus-Max-Size": str(service.max_upload_bytes),
            },
        )

    @post(
        "/",
        status_code=201,
        summary="Create a resumable upload (tus creation)",
        operation_class=TusCreationOperation,
        response_headers=_CREATED_HEADERS,
        responses=error_responses(
            {
                400: "Upload-Length or Upload-Metadata is missing or malformed.",
                404: "`replaces` names no item.",
                409: "The item `replaces` names is being transcoded (`in_progress`) or its "
                "file replaced by another upload (`replacement_in_progress`).",
                413: "Upload-Length is over the upload limit (`upload_too_large`), or over "
                "the room left on the server's local media storage (`storage_full`).",
            }
        ),
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        service: IngestService,
        principal: Principal,
        call_context: CallContext,
    ) -> ASGIResponse:
        """``Upload-Length`` and ``Upload-Metadata``: title, description, tags, publish of a
        new item; or ``replaces``, the id of the item whose video file this one replaces
        (it keeps its id, text, captions, playlists and views)."""
        with _tus_errors():
            if "upload-defer-length" in request.headers:
                raise BadRequest("Upload-Defer-Length is not supported", code="validation_error")
            length = tus.parse_non_negative(request.headers, "Upload-Length")
            raw = request.headers.get("upload-metadata", "")
            metadata = tus.parse_metadata(raw)
            status = await service.create_upload(principal, length, metadata, raw, call_context)
        # No body, so not the JSON content type Litestar would otherwise name.
        return ASGIResponse(
            status_code=201,
            media_type=MediaType.TEXT,
            headers=_tus_headers(status, Location=f"{PREFIX}/uploads/{status.upload_id}"),
        )

    @head(
        "/{upload_id:uuid}",
        operation_class=TusOperation,
        summary="The offset of a resumable upload",
        responses=_no_body(
            "No body: Upload-Offset says how much is stored, beside Upload-Length, "
            "Upload-Metadata and Upload-Expires.",
            200,
        ),
    )
    async def offset(
        self,
        upload_id: uuid.UUID,
        service: IngestService,
        principal: Principal,
        call_context: CallContext,
    ) -> Response[None]:
        """``Upload-Offset`` (how much is stored), ``Upload-Length``, ``Upload-Metadata``."""
        with _tus_errors():
            status = await service.upload_status(upload_id, principal, call_context)
        headers = _tus_headers(status, **{"Upload-Length": str(status.length)})
        if status.metadata:
            headers["Upload-Metadata"] = status.metadata
        return Response(None, status_code=200, headers=headers)

    @patch(
        "/{upload_id:uuid}",
        status_code=204,
        request_max_body_size=None,  # bounded by Upload-Length, checked by the service
        summary="Append bytes to a resumable upload",
        operation_class=TusAppendOperation,
        responses={
            **_no_body("No body: Upload-Offset says how much is stored now."),
            **error_responses(
                {
                    409: "Upload-Offset is not where the upload stands.",
                    413: "More bytes than Upload-Length.",
                    415: "Content-Type is not application/offset+octet-stream, or the first "
                    "bytes are not a supported video or sound file.",
                }
            ),
        },
    )
    async def append(
        self,
        request: Request[Any, Any, Any],
        upload_id: uuid.UUID,
        service: IngestService,
        principal: Principal,
        call_context: CallContext,
    ) -> Response[None]:
        """Append the body at ``Upload-Offset``; the last bytes process and register it."""
        with _tus_errors():
            if (
                request.headers.get("content-type", "").split(";")[0].strip()
                != tus.OFFSET_CONTENT_TYPE
            ):
                raise UnsupportedMediaType(f"PATCH bodies must be {tus.OFFSET_CONTENT_TYPE}")
            offset = tus.parse_non_negative(request.headers, "Upload-Offset")
            status = await service.append(
                upload_id,
                principal,
                offset,
                content_length(request),
                request_chunks(request),
                call_context,
            )
        return Response(None, status_code=204, headers=_tus_headers(status))

    @delete(
        "/{upload_id:uuid}",
        operation_class=TusOperation,
        status_code=204,
        summary="Terminate (cancel) a resumable upload",
        description="Its uploader may, and so may any admin: cancelling an upload somebody "
        "left unfinished (see `GET /uploads`) frees its storage before it expires. A cancel "
        "wins over a request still sending bytes to the upload: that request stops at its "
        "next commit, answered 410 `upload_cancelled` (its detail says whether an "
        "administrator cancelled it), and so are resumes from the cancel on, until the "
        "sweeper removes the upload (404 from then on).",
        responses={
            **_no_body(
                "No body: the upload is cancelled, and every stored byte of it gone (or, "
                "when a request sending bytes to it holds on past a second, freed by the "
                "sweeper once that request let go)."
            ),
            **error_responses(
                {
                    409: "Every byte is in: the upload is processed or registered "
                    "(`upload_complete`); nothing is cancelled.",
                }
            ),
        },
    )
    async def terminate(
        self, upload_id: uuid.UUID, service: IngestService, principal: Principal
    ) -> Response[None]:
        """Drop the upload and whatever of it was stored (tus termination)."""
        with _tus_errors():
            await service.terminate(upload_id, principal)
        return Response(None, status_code=204, headers={"Tus-Resumable": tus.VERSION})


class UnfinishedUploadController(Controller):
    """The resumable uploads still receiving bytes, for admins to find abandoned ones
    (plain JSON beside the tus endpoint: no ``Tus-Resumable`` needed)."""

    path = "/uploads"

    @get(
        "/",
        summary="List unfinished uploads",
        description="Every uploader's resumable uploads that have not received all their "
        "bytes, the longest idle first: bytes received (`offset`) of `length`, when each "
        "began, was last sent to and expires. Cancel one with the tus `DELETE`.",
    )
    async def unfinished(
        self,
        service: IngestService,
        limit: Annotated[int, Parameter(ge=1, le=LIST_LIMIT_MAX)] = 20,
        offset: Annotated[int, Parameter(ge=0, le=LIST_OFFSET_MAX)] = 0,
    ) -> UnfinishedUploadPage:
        """One page of the unfinished uploads, and how many there are."""
        return await service.unfinished_uploads(limit, offset)


#: What a caption file may be sent as (``Content-Type``; none at all is taken too).
CAPTION_CONTENT_TYPES = (
    "text/vtt",
    "application/x-subrip",
    "text/plain",
    "application/octet-stream",
)
CaptionLanguageParameter = Annotated[
    str,
    Parameter(
        pattern=LANGUAGE_AS_WRITTEN,
        max_length=CAPTION_LANGUAGE_MAX,
        description="a BCP 47 language tag: en, pt-BR, zh-Hans … in any case, _ taken for -; "
        "the track is stored under its canonical spelling (EN and en_us are en and en-US)",
    ),
]

#: The encoding a caption file was saved in, if not UTF-8: the labels and their names for
#: people are stated in the OpenAPI (``oneOf``), where the SPA's list is generated from.
CaptionEncodingParameter = Annotated[
    str | None,
    Parameter(
        pattern=CAPTION_ENCODING_LABEL,
        description="the encoding the file was saved in, if it is not UTF-8 (default: "
        "UTF-8, or UTF-16 with its byte-order mark)",
        schema_extra={
            "one_of": [
                Schema(type=OpenAPIType.STRING, const=encoding.label, title=encoding.name)
                for encoding in CAPTION_ENCODINGS
            ]
        },
    ),
]


@dataclasses.dataclass(frozen=True, slots=True)
class FileBody:
    """The body of a route that takes a file itself (not a form): the Content-Types it may
    be sent as and its largest size, checked before and while it arrives."""

    what: str
    """The file, as the errors name it: "a caption file"."""
    content_types: tuple[str, ...]
    max_bytes: int
    too_large_code: str
    typed: bool = False
    """Whether a body without a Content-Type is refused (415), not taken."""

    def operation(self, description: str) -> type[Operation]:
        """The OpenAPI operation of a route with this body (the handler reads it itself,
        so its size is checked as it arrives, which Litestar cannot infer)."""
        binary = OpenAPIMediaType(
            schema=Schema(
                type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY, max_length=self.max_bytes
            )
        )
        body = RequestBody(
            content=dict.fromkeys(self.content_types, binary),
            required=True,
            description=f"{description}, at most {self.max_bytes} bytes",
        )

        @dataclasses.dataclass
        class FileBodyOperation(Operation):
            def __post_init__(self) -> None:
                self.request_body = body

        return FileBodyOperation

    async def read(self, request: Request[Any, Any, Any]) -> bytes:
        """The body, whole: 415 ``unsupported_media_type`` for another Content-Type, 413
        (``too_large_code``) as soon as it is known to be larger than ``max_bytes``."""
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if (content_type or self.typed) and content_type not in self.content_types:
            raise UnsupportedMediaType(
                f"send {self.what} as one of {', '.join(self.content_types)}",
                code="unsupported_media_type",
            )
        too_large = PayloadTooLarge(
            f"{self.what} may have at most {self.max_bytes} bytes", code=self.too_large_code
        )
        announced = content_length(request)
        if announced is not None and announced > self.max_bytes:
            raise too_large
        body = bytearray()
        async for chunk in request_chunks(request):
            body += chunk
            if len(body) > self.max_bytes:
                raise too_large
        return bytes(body)


CAPTION_BODY = FileBody(
    "a caption file", CAPTION_CONTENT_TYPES, CAPTION_MAX_BYTES, "caption_too_large"
)
#: An image an admin sends as an item's thumbnail: one of the image types, named.
IMAGE_BODY = FileBody(
    "an image", IMAGE_CONTENT_TYPES, STILL_IMAGE_MAX_BYTES, "image_too_large", typed=True
)


class CaptionController(Controller):
    """An item's caption tracks: add or replace (PUT), remove (DELETE)."""

    path = "/items/{item_id:uuid}/captions"

    @put(
        "/{language:str}",
        status_code=200,
        request_max_body_size=None,  # CAPTION_BODY enforces CAPTION_MAX_BYTES itself
        operation_class=CAPTION_BODY.operation(
            "the WebVTT or SubRip file, UTF-8 or in the `encoding` named"
        ),
        responses=error_responses(
            {
                404: "No such media item (nothing is stored).",
                409: "The item has the most caption tracks allowed (`too_many_captions`).",
                413: "The file is larger than the caption limit (`caption_too_large`).",
                415: "The Content-Type is not one a caption file is sent as.",
                422: "The file is not valid WebVTT or SubRip in the `encoding` named, or "
                "without one in UTF-8 (or UTF-16 with its byte-order mark) (`caption_encoding`, `caption_binary`, `caption_syntax`, `caption_timing`, `caption_empty`, "
                "`caption_too_many_cues`, `caption_cue_too_long`), or is another subtitle "
                "format such as ASS/SSA (`caption_format`); nothing is stored.",
            }
        ),
        summary="Add or replace a caption track",
        description="The body is the WebVTT or SubRip file; it is checked and stored as "
        "WebVTT at <item>/captions/<language>.vtt, played with the item's stream token. "
        "Answers the item's caption tracks, and how many of the file's cues start after the "
        "video's end (`cues_after_end`, of `cues`; stored all the same: most often the "
        "captions of another cut).",
    )
    async def put_caption(
        self,
        request: Request[Any, Any, Any],
        captions: CaptionTracks,
        call_context: CallContext,
        item_id: uuid.UUID,
        language: CaptionLanguageParameter,
        label: Annotated[
            str | None,
            Parameter(
                min_length=1,
                max_length=CAPTION_LABEL_MAX,
                pattern=ONE_LINE,
                description="what the player's menu shows (default: the replaced track's "
                "label, or the language)",
            ),
        ] = None,
        encoding: CaptionEncodingParameter = None,
    ) -> CaptionTrackList:
        """Check the file, store it as WebVTT, record the track; the item's tracks."""
        cues = parsed_upload(await CAPTION_BODY.read(request), encoding)
        item = await captions.store(
            str(item_id), language, cues, label=label, source="upload", context=call_context
        )
        return CaptionTrackList.stored(item, [cue.start for cue in cues])

    @delete(
        "/{language:str}",
        status_code=204,
        responses=error_responses({404: "No such media item, or no track in this language."}),
        summary="Remove a caption track",
    )
    async def delete_caption(
        self,
        captions: CaptionTracks,
        call_context: CallContext,
        item_id: uuid.UUID,
        language: CaptionLanguageParameter,
    ) -> None:
        """Forget the track and delete its files."""
        await captions.remove(str(item_id), language, call_context)


class TranscodeController(Controller):
    """Transcoding an item again (after a failure, or after an upgrade)."""

    path = "/items/{item_id:uuid}/transcode"

    @post(
        "/",
        status_code=202,
        responses=error_responses(
            {
                404: "No such media item.",
                409: "A job is queued or running for the item (`in_progress`, unless "
                "`force`), another request queued one first (`processing_state_changed`), or "
                "it has no video (`not_transcodable`); nothing is queued.",
            }
        ),
        summary="Transcode an item again",
        description="Queues a new transcoding job for an item whose transcoding failed or "
        "is done, from its stored original. Answers the item, `queued`; follow it as after "
        "an upload. An item that plays goes on playing its package meanwhile (and if the "
        "job fails); the new package replaces it when it is ready, and the old one's files "
        "stay until the next, for viewers who were playing it. With `force`, also an item "
        "whose job is queued or running: for a job the queue lost (NATS's store lost or "
        "recreated), which would otherwise leave the item queued for good. A job that was "
        "not lost then runs twice.",
    )
    async def retry_transcode(
        self,
        retries: TranscodeRetries,
        call_context: CallContext,
        item_id: uuid.UUID,
        force: bool = False,
    ) -> MediaItem:
        """Queue the item's transcoding again; the item, ``queued``."""
        return await retries.retry(str(item_id), call_context, force=force)


class ThumbnailController(Controller):
    """An item's thumbnail and poster, made again from a frame an admin chose."""

    path = "/items/{item_id:uuid}/thumbnail"

    @put(
        "/",
        status_code=200,
        responses=error_responses(
            {
                404: "No such media item.",
                409: "The item is a sound with no picture (`no_picture`), or its original "
                "is no longer stored (`original_missing`).",
                422: "The moment is past the end of the video (`past_the_end`), or no frame "
                "could be read there (`probe_failed`); the stills are unchanged.",
            }
        ),
        summary="Make the thumbnail of a frame",
        description="Makes the item's thumbnail and poster again, from the frame of its "
        "stored original at `at_seconds` (the nearest frame a bounded decode reaches), as at "
        "upload. Answers their URLs with a version, for pages that showed the old ones.",
    )
    async def choose_thumbnail(
        self,
        thumbnails: ThumbnailChoice,
        call_context: CallContext,
        item_id: uuid.UUID,
        data: ThumbnailMoment,
    ) -> ChosenThumbnail:
        """Make and store the stills of the frame at the moment; their versioned URLs."""
        return await thumbnails.choose(str(item_id), data.at_seconds, call_context)

    @put(
        "/image",
        status_code=200,
        request_max_body_size=None,  # IMAGE_BODY enforces STILL_IMAGE_MAX_BYTES itself
        operation_class=IMAGE_BODY.operation("the JPEG, PNG or WebP image itself"),
        responses=error_responses(
            {
                404: "No such media item.",
                413: "The image is larger than the limit (`image_too_large`).",
                415: "The Content-Type is not image/jpeg, image/png or image/webp.",
                422: "The body is no JPEG, PNG or WebP image (`not_an_image`: an SVG, a GIF, "
                "a damaged header), an animation (`animated_image`), of a size outside the "
                "limits (`image_size`), or could not be decoded (`image_unreadable`: cut "
                "short, damaged); the stills are unchanged.",
            }
        ),
        summary="Make the thumbnail of an image",
        description="The body is the image itself (JPEG, PNG or WebP, a still picture of "
        f"16 to {STILL_IMAGE_MAX_SIDE} pixels a side), sent with its Content-Type. It is "
        "decoded in the media sandbox and made into the item's thumbnail and poster as a "
        "frame is (upright as its orientation says, fitted into the same sizes, as JPEG; "
        "transparency laid on a backdrop). A sound without a cover takes one too. "
        "Answers their URLs with a version, for pages that showed the old ones.",
    )
    async def upload_thumbnail(
        self,
        request: Request[Any, Any, Any],
        thumbnails: ThumbnailChoice,
        call_context: CallContext,
        item_id: uuid.UUID,
    ) -> ChosenThumbnail:
        """Make and store the stills of the image sent; their versioned URLs."""
        image = await IMAGE_BODY.read(request)
        return await thumbnails.use_image(str(item_id), image, call_context)

    @delete(
        "/",
        status_code=200,
        responses=error_responses(
            {
                404: "No such media item.",
                409: "The item shows no stills (`no_picture`: a sound without a cover "
                "never given an image), or its original is no longer stored "
                "(`original_missing`).",
                422: "No frame could be read from its original (`probe_failed`); the stills "
                "are unchanged.",
            }
        ),
        summary="Go back to the automatic thumbnail",
        description="Makes the item's thumbnail and poster again as processing made them "
        "(the frame 1 s into the video, the first of a shorter one; a sound's cover), "
        "replacing a chosen frame or an uploaded image. Answers their URLs with a version; "
        "null URLs for a sound without a cover, which shows none again.",
    )
    async def automatic_thumbnail(
        self, thumbnails: ThumbnailChoice, call_context: CallContext, item_id: uuid.UUID
    ) -> ChosenThumbnail:
        """Make and store the automatic stills again; their versioned URLs."""
        return await thumbnails.use_automatic(str(item_id), call_context)


class ProbeController(Controller):
    """An item's facts, read again from its stored original."""

    path = "/items/{item_id:uuid}/probe"

    @post(
        "/",
        status_code=200,
        responses=error_responses(
            {
                404: "No such media item.",
                409: "The item's original is no longer stored (`original_missing`), or is of "
                "a type ingest does not read (`not_readable`); nothing changed.",
                422: "The probe could not read the original (`probe_failed`); nothing changed.",
            }
        ),
        summary="Read an item's file again",
        description="Reads the item's stored original again, as at upload (in the probe's "
        "sandbox, with today's rules, but making no stills: its thumbnail and poster stay "
        "as they are), and records what it finds: its chapters, codecs (the main sound "
        "track's), picture size, frame rate, its length while it has no HLS package (a "
        "package's length is how long it plays), and whether the original plays in "
        "browsers as uploaded, decided by the upload's rule: the item is `playable` when it "
        "does or when it has an HLS package. An item that played as uploaded and whose "
        "original turns out not to play, with no HLS package and no transcoding job queued "
        "or running, is queued for transcoding (`processing_state` `queued`: follow it as "
        "after an upload); one that did not play before is left as it is (transcode it "
        "again with `POST /items/{id}/transcode`). For items uploaded before chapters were "
        "read, or read by older rules. Answers which fields changed (`playable` too), and "
        "the item.",
    )
    async def probe_again(
        self, facts: FactsReading, call_context: CallContext, item_id: uuid.UUID
    ) -> FactsRead:
        """Read the item's original again and record its facts; which changed, the item."""
        return await facts.read_again(str(item_id), call_context)


#: The same list for hours (until an upgrade), so the upload page need not ask each time it
#: opens; private, as an answer to an admin's token is kept from shared caches.
_FORMATS_CACHING = "private, max-age=3600"


class FormatController(Controller):
    """The kinds of file ingest takes, from the containers it recognises."""

    path = "/formats"

    @get(
        "/",
        summary="List the kinds of file ingest takes",
        description="Every kind of video and sound file an upload may be, as people know it "
        "(`label`: MP4, Matroska (MKV), WMA …), with its file `extensions` and the "
        "`content_types` it is stored as: the videos, then the sound files. Ingest decides "
        "by a file's first bytes, not its name (anything else is 415 "
        "`unsupported_container`, whose message names the same labels): these say which "
        "files to offer. The list changes only with the server's version.",
        response_description="The kinds of file ingest takes, the videos first.",
        response_headers=[
            ResponseHeader(
                name="Cache-Control",
                description=f"{_FORMATS_CACHING}: the list changes only with an upgrade",
                documentation_only=True,
            )
        ],
    )
    async def formats(self, formats: AcceptedFormats) -> Response[AcceptedFormats]:
        """Every accepted kind of file: label, kind, extensions and content types."""
        return Response(formats, headers={"Cache-Control": _FORMATS_CACHING})


class TranscodingController(Controller):
    """Whether transcoding works: the queue of transcoding jobs and its workers."""

    path = "/transcoding"

    @get(
        "/",
        summary="See the transcoding queue and its workers",
        description="How many transcoding jobs wait for a worker (`waiting`, also those "
        "waiting to be tried again) and run (`running`), how many a worker no longer seen "
        "still holds (`stranded`: a killed worker's, queued again within "
        "`requeued_within_seconds`, the queue's ack wait), and the transcoding workers seen: "
        "each announces itself every third of `seen_within_seconds` while it runs (its host, "
        "process, how many jobs it runs at once and now), and drops out at once when it "
        "stops, or after `seen_within_seconds` when it was killed or lost the queue. `state` "
        "says what that means: `idle`, `working`, `busy` (jobs wait while every worker is "
        "full: more workers would help) or `no_worker` (jobs wait and no worker runs: start "
        "one with `streamstack worker`). Changes nothing.",
        responses=error_responses({503: "The job queue is unavailable (`jobs_unavailable`)."}),
    )
    async def transcoding(self, transcoding: TranscodingQueue) -> TranscodingStatus:
        """The transcoding jobs waiting and running, and the workers seen."""
        return await transcoding.status()


def ingest_router(
    service: IngestService,
    captions: CaptionTracks,
    retries: TranscodeRetries,
    thumbnails: ThumbnailChoice,
    facts: FactsReading,
    formats: AcceptedFormats,
    transcoding: TranscodingQueue,
) -> ModuleRouter:
    """Every ingest route, admins only (bearer), with the services, the accepted formats and
    the caller injected."""
    services = provide_values(
        service=service,
        captions=captions,
        retries=retries,
        thumbnails=thumbnails,
        facts=facts,
        transcoding=transcoding,
    )
    return ModuleRouter(
        path=PREFIX,
        route_handlers=[
            UploadController,
            ResumableUploadController,
            UnfinishedUploadController,
            CaptionController,
            TranscodeController,
            ThumbnailController,
            ProbeController,
            FormatController,
            TranscodingController,
        ],
        guards=[requires_admin],
        security=BEARER,
        tags=["ingest"],
        dependencies={**services, **provide_values(formats=formats), **CALLER},
    )


# --- the storage audit (streamstack.ingest.storage_audit) --------------------------------

AuditLimit = Annotated[
    int,
    Parameter(
        ge=0,
        le=LIST_LIMIT_MAX,
        description="how many orphans and unrecognised keys to name per bucket (the first "
        "in key order; all are counted)",
    ),
]
AuditGrace = Annotated[
    int | None,
    Parameter(
        ge=0,
        le=AUDIT_GRACE_MAX_SECONDS,
        description="the grace period of this run, in seconds (default "
        "`STREAMSTACK_INGEST_ORPHAN_GRACE_SECONDS`): objects of no item stored more recently "
        "are counted as `younger_than_grace` and never deleted. 0 right after restoring a "
        "database dump; an upload sent in one request (not resumable) that is being stored "
        "right then has no item yet, and a deletion with 0 would take its file",
    ),
]
_AUDIT_DESCRIPTION = (
    "Lists the media and thumbnails buckets and maps each object to the media item it "
    "belongs to by the names ingest gives objects. An *orphan* is an object whose item does "
    "not exist (its take-down was given up, a database backup was restored, a crash came "
    "between storing an upload and registering it), that belongs to no unfinished upload, "
    "and that is older than `STREAMSTACK_INGEST_ORPHAN_GRACE_SECONDS`. A key that names no "
    "item is *unrecognised*: counted, never deleted. The other way round, `missing` names "
    "the items whose media the database records but the buckets lack (`original`, "
    "`stream`, `thumbnail`, `captions`: a bucket restored from an older backup, a lost "
    "volume); the audit never makes nor deletes those. Takes as long as listing the "
    "buckets."
)


class StorageAuditController(Controller):
    """Objects in ingest's buckets that no item or upload accounts for."""

    path = "/audit"

    @get(
        "/",
        summary="Audit the object storage",
        description=_AUDIT_DESCRIPTION + " Changes nothing.",
        responses=error_responses({503: "The object store or the database is unavailable."}),
    )
    async def audit(
        self,
        audit: StorageAudit,
        call_context: CallContext,
        limit: AuditLimit = 20,
        grace_seconds: AuditGrace = None,
    ) -> StorageAuditReport:
        """Each bucket's objects, orphans and unrecognised keys."""
        return await audit.report(call_context, shown=limit, grace=_grace(grace_seconds))

    @post(
        "/delete",
        status_code=200,
        summary="Delete the orphans of the object storage",
        description=_AUDIT_DESCRIPTION + " Audits afresh and deletes each orphan it finds "
        "(each one logged, `storage_audit.orphan_deleted`); answers the report, whose "
        "orphans are the objects deleted. What to delete is never sent by the client. If "
        "the store fails midway, what was deleted stays deleted: ask again.",
        responses=error_responses({503: "The object store or the database is unavailable."}),
    )
    async def delete_orphans(
        self,
        audit: StorageAudit,
        call_context: CallContext,
        limit: AuditLimit = 20,
        grace_seconds: AuditGrace = None,
    ) -> StorageAuditReport:
        """Delete every orphan a fresh audit finds; the report of what was deleted."""
        grace = _grace(grace_seconds)
        return await audit.delete_orphans(call_context, shown=limit, grace=grace)


def _grace(seconds: int | None) -> datetime.timedelta | None:
    """The run's grace period asked for (None: the setting's)."""
    return None if seconds is None else datetime.timedelta(seconds=seconds)


def storage_audit_router(audit: StorageAudit) -> ModuleRouter:
    """The storage audit's routes under ``/api/v1/ingest/storage``, admins only (bearer)."""
    return ModuleRouter(
        path=f"{PREFIX}/storage",
        route_handlers=[StorageAuditController],
        guards=[requires_admin],
        security=BEARER,
        tags=["ingest"],
        dependencies={**provide_values(audit=audit), **CALLER},
    )
