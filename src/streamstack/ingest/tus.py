"""The tus 1.0 resumable-upload protocol's headers: versions and metadata.

Supported: core, ``creation``, ``termination`` and ``expiration``
(https://tus.io/protocols/resumable-upload). Only HTTP concerns live here; what an
upload *is* lives in :mod:`.resumable`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping

from streamstack.kernel.errors import AppError, BadRequest, PreconditionFailed

VERSION = "1.0.0"
EXTENSIONS = "creation,termination,expiration"
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
#: Upload-Metadata larger than this is refused (it is echoed back on every HEAD).
MAX_METADATA_BYTES = 4096

_METADATA_KEY = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
_DIGITS = re.compile(r"[0-9]{1,19}")


class UnsupportedTusVersion(PreconditionFailed):
    """The client speaks a tus version this server does not."""

    code = "tus_version_unsupported"
    default_headers = {"Tus-Version": VERSION, "Tus-Resumable": VERSION}


def check_version(headers: Mapping[str, str]) -> None:
    """Every request but OPTIONS must carry ``Tus-Resumable: 1.0.0`` (else 412)."""
    if headers.get("tus-resumable") != VERSION:
        raise UnsupportedTusVersion(f"Tus-Resumable: {VERSION} is required")


def parse_non_negative(headers: Mapping[str, str], name: str) -> int:
    """A required non-negative integer header (``Upload-Length``, ``Upload-Offset``)."""
    raw = headers.get(name.lower())
    if raw is None:
        raise BadRequest(f"the {name} header is required", code="validation_error")
    if not _DIGITS.fullmatch(raw.strip()):
        raise BadRequest(f"{name} must be a non-negative integer", code="validation_error")
    return int(raw)


def parse_metadata(header: str) -> dict[str, str]:
    """Decode ``Upload-Metadata``: comma-separated ``key base64(value)`` pairs (400 if bad)."""
    if len(header.encode()) > MAX_METADATA_BYTES:
        raise BadRequest("Upload-Metadata is too large", code="validation_error")
    result: dict[str, str] = {}
    for pair in header.split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, _, encoded = pair.partition(" ")
        if not _METADATA_KEY.fullmatch(key) or key in result or " " in encoded.strip():
            raise BadRequest("Upload-Metadata is malformed", code="validation_error")
        try:
            value = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise BadRequest(
                f"Upload-Metadata value of {key!r} is not base64 UTF-8", code="validation_error"
            ) from None
        result[key] = value
    return result


def with_tus_headers(error: AppError) -> AppError:
    """The same error, carrying ``Tus-Resumable`` as every tus response must."""
    error.headers.setdefault("Tus-Resumable", VERSION)
    return error
