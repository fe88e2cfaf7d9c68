"""A ``multipart/form-data`` body read as it arrives: text fields kept, the file streamed.

Litestar's own form parsing reads the whole body first; an upload of gigabytes must
instead flow through to the object store chunk by chunk. This wraps the ``multipart``
package's push parser (a Litestar dependency) over the request's chunks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import multipart  # type: ignore[import-untyped]

from streamstack.kernel.errors import BadRequest, UnsupportedMediaType

#: The most a text field may hold, and how many parts a form may have.
MAX_FIELD_BYTES = 64 * 1024
MAX_PARTS = 64


class MalformedForm(BadRequest):
    """The body is not valid multipart/form-data."""

    code = "malformed_form"


@dataclasses.dataclass(frozen=True, slots=True)
class FormPart:
    """One part's headers: its field name, and its file name when it is a file."""

    name: str
    filename: str | None
    content_type: str | None


def boundary_of(content_type: str) -> str:
    """The boundary of a ``multipart/form-data`` content type (415 for anything else)."""
    kind, options = multipart.parse_options_header(content_type or "")
    if kind != "multipart/form-data":
        raise UnsupportedMediaType("the upload must be sent as multipart/form-data")
    boundary = options.get("boundary", "")
    if not boundary or len(boundary) > 200:
        raise MalformedForm("the multipart/form-data boundary is missing or too long")
    return str(boundary)


class StreamingForm:
    """Walk the parts of a form one by one; a part's body must be read before the next.

    ``async for part in form`` yields each :class:`FormPart`; then either
    ``await form.text()`` (a small field) or ``form.body()`` (an async iterator of the
    file's chunks) reads its body. A body left unread is skipped.
    """

    def __init__(self, chunks: AsyncIterator[bytes], boundary: str) -> None:
        self._events = self._parse(chunks, boundary)
        self._in_body = False

    async def _parse(self, chunks: AsyncIterator[bytes], boundary: str) -> AsyncIterator[object]:
        parser = multipart.PushMultipartParser(boundary, max_segment_count=MAX_PARTS)
        try:
            async for chunk in chunks:
                if not chunk:
                    continue
                for event in parser.parse(chunk):
                    yield event
            for event in parser.parse(b""):
                yield event
        except multipart.MultipartError as exc:
            raise MalformedForm(f"malformed multipart/form-data body: {exc}") from None

    def __aiter__(self) -> AsyncIterator[FormPart]:
        return self._parts()

    async def _parts(self) -> AsyncIterator[FormPart]:
        while True:
            if self._in_body:
                async for _ in self.body():
                    pass
            event = await anext(self._events, _END)
            if event is _END:
                return
            if not isinstance(event, multipart.MultipartSegment):
                raise MalformedForm("malformed multipart/form-data body")
            self._in_body = True
            yield FormPart(event.name, event.filename, event.content_type)

    async def body(self) -> AsyncIterator[bytes]:
        """The current part's body, chunk by chunk."""
        while self._in_body:
            event = await anext(self._events, None)
            if event is None:
                self._in_body = False
                return
            if not isinstance(event, bytes | bytearray):
                raise MalformedForm("malformed multipart/form-data body")
            yield bytes(event)

    async def text(self) -> str:
        """The current part's body as UTF-8 text (400 past :data:`MAX_FIELD_BYTES`)."""
        data = bytearray()
        async for chunk in self.body():
            data += chunk
            if len(data) > MAX_FIELD_BYTES:
                raise MalformedForm("a form field is too large")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedForm("a form field is not UTF-8 text") from None


_END = object()
