"""S3 adapter for the object-store port, on one pooled aiobotocore client per process.

During an S3 outage requests must get their 503 at once, not after connect timeouts and
retries: botocore makes at most :data:`MAX_ATTEMPTS` attempts per call, and the client's
circuit breaker, opened by the first call that cannot reach S3, fails the following ones
immediately until a background probe gets an answer from S3 again.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import hashlib
import time
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import structlog
from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)
from botocore.handlers import add_expect_header
from botocore.loaders import Loader

from streamstack.kernel.circuit import PROBE_TIMEOUT_SECONDS, CircuitBreaker
from streamstack.kernel.errors import AppError, RangeNotSatisfiable
from streamstack.kernel.storage import (
    PART_BYTES,
    ListedObject,
    ObjectChanged,
    ObjectInfo,
    ObjectNotFound,
    ObjectsNotDeleted,
    ObjectStore,
    PartInfo,
    ReadOptions,
    StorageError,
    StorageUnavailable,
)
from streamstack.kernel.storage.http_reads import HttpAnswer, HttpReads, HttpTarget, MalformedAnswer

#: A failed write's multipart upload is aborted again, backing off, while S3 is away.
ABORT_RETRY_FIRST_SECONDS = 0.5
ABORT_RETRY_MAX_SECONDS = 30.0
ABORT_RETRY_FOR_SECONDS = 15 * 60.0
_PENDING_ABORTS: set[asyncio.Task[None]] = set()
#: Attempts per S3 call, the first included (one retry rides out a dropped connection).
MAX_ATTEMPTS = 2
#: Lifetime of the presigned URLs ranged reads use, and how long before its end one is
#: replaced. Signing costs about as much CPU as the GET itself, so a key is signed once per
#: lifetime, not once per range.
READ_URL_SECONDS = 15 * 60
READ_URL_RENEW_SECONDS = 60
#: How many keys' presigned read URLs a bucket adapter keeps.
READ_URL_CACHE_SIZE = 4096
#: Keys asked for per ListObjectsV2 call (S3's own maximum).
LIST_PAGE_KEYS = 1000
log = structlog.get_logger(__name__)


class S3Client:
    """The process-wide S3 client: one connection pool shared by every bucket adapter."""

    def __init__(
        self,
        endpoint_url: str,
        access_key_id: str,
        secret_access_key: str,
        region: str,
        *,
        pool_size: int = 64,
        timeout_seconds: float = 10.0,
    ) -> None:
        self._session = _session()
        # Empty keys leave the credentials to botocore's chain (environment, instance role).
        self._client_args = {
            "endpoint_url": endpoint_url,
            "region_name": region,
            "aws_access_key_id": access_key_id or None,
            "aws_secret_access_key": secret_access_key or None,
        }
        self._config = AioConfig(
            max_pool_connections=pool_size,
            connect_timeout=timeout_seconds,
            read_timeout=timeout_seconds,
            retries={"total_max_attempts": MAX_ATTEMPTS, "mode": "standard"},
            s3={"addressing_style": "path"},
            signature_version="s3v4",
        )
        self._stack = contextlib.AsyncExitStack()
        self._client: Any = None
        # The probe asks once, with no retries and short timeouts, and asks again soon.
        self._probe_config = self._config.merge(
            AioConfig(
                connect_timeout=PROBE_TIMEOUT_SECONDS,
                read_timeout=PROBE_TIMEOUT_SECONDS,
                retries={"total_max_attempts": 1, "mode": "standard"},
            )
        )
        self._probe_client: Any = None
        self.breaker = CircuitBreaker("object store (S3)", self._probe, StorageUnavailable)
        # Ranged reads are GETs of presigned URLs on pooled connections of our own: a third
        # of botocore's per-call CPU, and half of aiohttp's (issue 15.3; bench/first_byte.py).
        self._reads = HttpReads(limit=pool_size, timeout_seconds=timeout_seconds)

    async def fetch(
        self, target: HttpTarget, headers: dict[str, str], chunk_size: int
    ) -> HttpAnswer:
        """Send a GET of a presigned URL, its body still to be read (release it).

        Fails at once while S3 is known to be down; an unreachable S3 opens the breaker;
        a pooled connection S3 closed meanwhile is replaced by a new one, once.
        """
        self.breaker.check()
        started = self.breaker.clock()
        try:
            answer = await self._reads.get(target, headers, chunk_size)
        except MalformedAnswer as exc:
            raise StorageError(f"object store answered badly: {exc}") from exc
        except OSError as exc:  # refused, reset, timed out (TimeoutError is one)
            self.breaker.trip(started)
            raise StorageUnavailable(f"object store unreachable: {exc!r}") from exc
        if answer.status in (500, 502, 503, 504):
            answer.release()
            raise StorageUnavailable(f"object store busy: {answer.status}")
        self.breaker.succeeded()
        return answer

    async def get(self) -> Any:
        """The shared aiobotocore client; fails at once while S3 is known to be down."""
        self.breaker.check()
        return await self._connected()

    @contextlib.contextmanager
    def mapped(self, key: str = "") -> Any:
        """Turn botocore failures into the port's errors; an unreachable S3 opens the breaker."""
        started = self.breaker.clock()
        try:
            with _mapped(key):
                yield
        except StorageUnavailable as exc:
            if isinstance(exc.__cause__, _UNREACHABLE):
                self.breaker.trip(started)
            raise
        except AppError:
            self.breaker.succeeded()  # S3 answered (no such key, changed …)
            raise
        self.breaker.succeeded()

    async def close(self) -> None:
        """Stop probing and close the pool."""
        await self.breaker.close()
        await self._stack.aclose()
        self._client = self._probe_client = None
        self._reads.close()

    async def _connected(self) -> Any:
        if self._client is None:
            client = await self._stack.enter_async_context(
                self._session.create_client("s3", config=self._config, **self._client_args)
            )
            # botocore asks S3 "Expect: 100-continue" before a body (objects, parts), and
            # aiohttp waits for that answer with no timeout: a hung S3 held an upload for as
            # long as it hung. Sent at once instead, the body's answer has the read timeout.
            client.meta.events.unregister("before-call.s3", add_expect_header)
            client.meta.events.register("before-call.s3.DeleteObjects", _add_content_md5)
            self._client = client
        return self._client

    async def _probe(self) -> None:
        """Any answer from S3, even a refusal, means it is reachable again."""
        if self._probe_client is None:
            self._probe_client = await self._stack.enter_async_context(
                self._session.create_client("s3", config=self._probe_config, **self._client_args)
            )
        with contextlib.suppress(ClientError):
            await self._probe_client.list_buckets()


def _session() -> AioSession:
    """A botocore session of the client's own, reading the process's one cached service data.

    A new session's loader reads and parses botocore's JSON models and endpoints again:
    an :class:`S3Client` and its client cost 60 ms of CPU that way, 9 ms with the data
    loaded (every app's start-up and every test app's). The loader only caches what it
    read (a race at worst reads a file twice), so all sessions, in any thread or event
    loop, may share one. The sessions themselves are not shared: botocore's are not
    thread-safe, and aiobotocore's cache credentials tied to the event loop that
    resolved them.
    """
    session = AioSession()
    session.register_component("data_loader", _service_data())
    return session


@functools.cache
def _service_data() -> Loader:
    """The process's one botocore loader (``AWS_DATA_PATH`` honoured, as by a session)."""
    loader: Loader = AioSession().get_component("data_loader")
    return loader


class PresignedBody:
    """A ranged GET of a presigned URL; closing it returns the connection to the pool.

    Its chunks are full ``chunk_size`` buffers (fewer, larger writes downstream: chunk size
    decides streaming speed), each received straight from the socket.
    """

    def __init__(self, answer: HttpAnswer, info: ObjectInfo) -> None:
        self.info = info
        self._answer = answer

    async def __aiter__(self) -> AsyncIterator[bytearray]:
        try:
            while (chunk := await self._answer.next_chunk()) is not None:
                yield chunk
        except OSError as exc:  # broken or silent mid-body
            raise StorageUnavailable(f"object read failed: {exc.__class__.__name__}") from exc
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        # After the whole body this returns the connection to the pool; before, it closes
        # the connection (the rest of the body would have to be read first).
        self._answer.release()


class S3ObjectStore(ObjectStore):
    """An :class:`~streamstack.kernel.storage.ObjectStore` on one S3 bucket."""

    def __init__(self, client: S3Client, bucket: str) -> None:
        self.bucket = bucket
        self._client = client
        #: key -> (monotonic time to renew at, presigned GET URL)
        self._read_urls: dict[str, tuple[float, HttpTarget]] = {}

    async def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist (dev and tests; compose creates them)."""
        s3 = await self._client.get()
        with self._client.mapped():
            try:
                await s3.head_bucket(Bucket=self.bucket)
            except ClientError as exc:
                if _code(exc) not in ("404", "NoSuchBucket", "NotFound"):
                    raise
                await s3.create_bucket(Bucket=self.bucket)

    async def _head(self, key: str) -> ObjectInfo:
        s3 = await self._client.get()
        with self._client.mapped(key):
            r = await s3.head_object(Bucket=self.bucket, Key=key)
        return ObjectInfo(
            key=key,
            size=int(r["ContentLength"]),
            etag=r["ETag"],
            last_modified=r["LastModified"],
            content_type=r.get("ContentType") or "application/octet-stream",
        )

    async def _open(self, key: str, options: ReadOptions) -> PresignedBody:
        # options.zero_copy changes nothing: each chunk is this read's own already.
        start, length, chunk_size = options.start, options.length, options.chunk_size
        headers: dict[str, str] = {}
        if start or length is not None:
            end = "" if length is None else str(start + length - 1)
            headers["Range"] = f"bytes={start}-{end}"
        if options.if_match is not None:
            headers["If-Match"] = options.if_match
        answer = await self._client.fetch(await self._read_url(key), headers, chunk_size)
        if answer.status == 403:
            # Refused signature (clock jump, rotated credentials): sign anew, once.
            answer.release()
            self._read_urls.pop(key, None)
            answer = await self._client.fetch(await self._read_url(key), headers, chunk_size)
        try:
            info = _answer_info(key, answer)
        except BaseException:
            answer.release()
            raise
        return PresignedBody(answer, info)

    async def _read_url(self, key: str) -> HttpTarget:
        """A presigned GET URL for ``key``, signed once per :data:`READ_URL_SECONDS`."""
        now = time.monotonic()
        cached = self._read_urls.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        target = HttpTarget(await self._presign(key, READ_URL_SECONDS))
        if len(self._read_urls) >= READ_URL_CACHE_SIZE:
            self._read_urls.pop(next(iter(self._read_urls)))  # the oldest
        self._read_urls[key] = (now + READ_URL_SECONDS - READ_URL_RENEW_SECONDS, target)
        return target

    async def _store(self, key: str, chunks: AsyncIterator[bytes], content_type: str) -> ObjectInfo:
        buffer = bytearray()
        upload_id: str | None = None
        parts: list[PartInfo] = []
        try:
            async for chunk in chunks:
                buffer += chunk
                while len(buffer) >= PART_BYTES:
                    if upload_id is None:
                        upload_id = await self._start_multipart(key, content_type)
                    data = bytes(buffer[:PART_BYTES])
                    del buffer[:PART_BYTES]
                    parts.append(await self._put_part(key, upload_id, len(parts) + 1, data))
            if upload_id is None:
                s3 = await self._client.get()
                with self._client.mapped(key):
                    await s3.put_object(
                        Bucket=self.bucket, Key=key, Body=bytes(buffer), ContentType=content_type
                    )
                return await self._head(key)
            if buffer:
                parts.append(await self._put_part(key, upload_id, len(parts) + 1, bytes(buffer)))
            return await self._complete_multipart(key, upload_id, parts)
        except BaseException:
            if upload_id is not None:
                await self._abort_now_or_later(key, upload_id)
            raise

    async def _abort_now_or_later(self, key: str, upload_id: str) -> None:
        """Abort a failed write's multipart upload, retrying in the background if S3 is away.

        Its parts are invisible but billed until aborted, and after a failed write nothing
        else knows the upload id: the retries are the only chance to remove them.
        """
        try:
            await self._abort_multipart(key, upload_id)
        except Exception:
            task = asyncio.create_task(self._abort_with_retries(key, upload_id))
            _PENDING_ABORTS.add(task)
            task.add_done_callback(_PENDING_ABORTS.discard)

    async def _abort_with_retries(self, key: str, upload_id: str) -> None:
        delay = ABORT_RETRY_FIRST_SECONDS
        deadline = asyncio.get_running_loop().time() + ABORT_RETRY_FOR_SECONDS
        while asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(delay)
            try:
                await self._abort_multipart(key, upload_id)
            except Exception:
                delay = min(delay * 2, ABORT_RETRY_MAX_SECONDS)
                continue
            log.info("storage.multipart_aborted_late", bucket=self.bucket, key=key)
            return
        log.warning("storage.multipart_left", bucket=self.bucket, key=key, upload_id=upload_id)

    async def _objects(self, prefix: str) -> AsyncIterator[ListedObject]:
        """ListObjectsV2, a page of :data:`LIST_PAGE_KEYS` at a time, each page asked for
        only once the caller has taken the one before."""
        pages: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        while True:
            s3 = await self._client.get()
            with self._client.mapped():
                page = await s3.list_objects_v2(**pages, MaxKeys=LIST_PAGE_KEYS)
            for entry in page.get("Contents", []):
                yield ListedObject(entry["Key"], int(entry["Size"]), entry["LastModified"])
            if not page.get("IsTruncated"):
                return
            pages["ContinuationToken"] = page["NextContinuationToken"]

    async def _delete(self, key: str) -> None:
        s3 = await self._client.get()
        with self._client.mapped(key):
            await s3.delete_object(Bucket=self.bucket, Key=key)

    async def _delete_many(self, keys: Sequence[str]) -> None:
        """One DeleteObjects request, quiet: the answer names only the keys it did not
        delete (with status 200 all the same)."""
        s3 = await self._client.get()
        with self._client.mapped():
            answer = await s3.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True},
            )
        check_deleted(answer)

    async def _start_multipart(self, key: str, content_type: str) -> str:
        s3 = await self._client.get()
        with self._client.mapped(key):
            r = await s3.create_multipart_upload(
                Bucket=self.bucket, Key=key, ContentType=content_type
            )
        upload_id: str = r["UploadId"]
        return upload_id

    async def _put_part(self, key: str, upload_id: str, number: int, data: bytes) -> PartInfo:
        s3 = await self._client.get()
        with self._client.mapped(key):
            r = await s3.upload_part(
                Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
            )
        return PartInfo(number, len(data), r["ETag"])

    async def _list_parts(self, key: str, upload_id: str) -> list[PartInfo]:
        s3 = await self._client.get()
        parts: list[PartInfo] = []
        marker = 0
        while True:
            with self._client.mapped(key):
                r = await s3.list_parts(
                    Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumberMarker=marker
                )
            parts += [PartInfo(p["PartNumber"], p["Size"], p["ETag"]) for p in r.get("Parts", [])]
            if not r.get("IsTruncated"):
                return parts
            marker = int(r["NextPartNumberMarker"])

    async def _complete_multipart(
        self, key: str, upload_id: str, parts: list[PartInfo]
    ) -> ObjectInfo:
        s3 = await self._client.get()
        with self._client.mapped(key):
            await s3.complete_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={
                    "Parts": [{"PartNumber": p.number, "ETag": p.etag} for p in parts]
                },
            )
        return await self._head(key)

    async def _abort_multipart(self, key: str, upload_id: str) -> None:
        s3 = await self._client.get()
        try:
            with self._client.mapped(key):
                await s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except ObjectNotFound:
            return

    async def _presign(self, key: str, expires_seconds: int) -> str:
        s3 = await self._client.get()
        url: str = await s3.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_seconds
        )
        return url

    async def ping(self) -> None:
        s3 = await self._client.get()
        with self._client.mapped():
            await s3.head_bucket(Bucket=self.bucket)


def _answer_info(key: str, answer: HttpAnswer) -> ObjectInfo:
    """The whole object's info from a presigned GET's answer, or the port's error."""
    status = answer.status
    if status == 404:
        raise ObjectNotFound(f"no object {key!r}")
    if status == 412:
        raise ObjectChanged(f"object {key!r} changed")
    if status == 416:
        raise RangeNotSatisfiable("range not satisfiable")
    if status not in (200, 206):
        raise StorageError(f"object store error: HTTP {status}")
    headers = answer.headers  # names in lower case
    size = int(headers["content-length"])
    total = headers.get("content-range", "").rpartition("/")[2]  # "bytes 0-499/1000"
    if total.isdigit():
        size = int(total)
    try:
        return ObjectInfo(
            key=key,
            size=size,
            etag=headers["etag"],
            last_modified=_last_modified(headers["last-modified"]),
            content_type=headers.get("content-type") or "application/octet-stream",
        )
    except (KeyError, ValueError) as exc:
        raise StorageError(f"object store answer without {exc}") from exc


@functools.lru_cache(maxsize=1024)
def _last_modified(value: str) -> datetime:
    """An HTTP date, parsed once: the same few objects are read again and again."""
    return parsedate_to_datetime(value)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


#: Codes of S3 errors that say "not now": the store is unavailable, not refusing.
_BUSY = ("SlowDown", "ServiceUnavailable", "503", "500", "InternalError")


def check_deleted(answer: dict[str, Any]) -> None:
    """Raise for the keys a DeleteObjects answer lists as not deleted (S3 answers 200 and
    lists them under ``Errors``): :class:`StorageUnavailable` when the first says S3 is
    busy, else :class:`ObjectsNotDeleted`. ``NoSuchKey``, which some S3-compatible stores
    say of an absent key, is no error: an absent key is deleted as far as the port goes."""
    refused = [error for error in answer.get("Errors", []) if error.get("Code") != "NoSuchKey"]
    if not refused:
        return
    key, code = str(refused[0].get("Key", "")), str(refused[0].get("Code", "")) or "unknown"
    if code in _BUSY:
        raise StorageUnavailable(f"object store busy: {code} (deleting {key[:80]!r})")
    raise ObjectsNotDeleted(key, code, len(refused))


def _add_content_md5(params: dict[str, Any], **_: Any) -> None:
    """Give a DeleteObjects request a Content-MD5 beside botocore's checksum.

    S3 wants a checksum of the request's body; botocore (since 1.36) sends only
    ``x-amz-checksum-crc32``, which older MinIO releases and other S3-compatible stores
    refuse (``MissingContentMD5``). Added, not swapped in: a store that checks the CRC32
    still gets it.
    """
    body = params.get("body")
    if isinstance(body, bytes):
        digest = hashlib.md5(body, usedforsecurity=False).digest()
        params["headers"]["Content-MD5"] = base64.b64encode(digest).decode("ascii")


_UNREACHABLE = (
    EndpointConnectionError,
    ConnectTimeoutError,
    ReadTimeoutError,
    BotoConnectionError,
    HTTPClientError,  # the connection broke mid-request (ConnectionClosedError ...)
    OSError,
)


@contextlib.contextmanager
def _mapped(key: str = "") -> Any:
    """Turn botocore failures into the port's errors."""
    try:
        yield
    except AppError:
        raise
    except ClientError as exc:
        code = _code(exc)
        if code in ("NoSuchKey", "404", "NotFound", "NoSuchUpload", "NoSuchBucket"):
            raise ObjectNotFound(f"no object {key!r}" if key else "no such bucket") from exc
        if code in ("PreconditionFailed", "412"):
            raise ObjectChanged(f"object {key!r} changed") from exc
        if code in ("InvalidRange", "416"):
            raise RangeNotSatisfiable("range not satisfiable") from exc
        if code in _BUSY:
            raise StorageUnavailable(f"object store busy: {code}") from exc
        raise StorageError(f"object store error: {code or exc}") from exc
    except _UNREACHABLE as exc:
        raise StorageUnavailable(f"object store unreachable: {exc.__class__.__name__}") from exc
    except BotoCoreError as exc:
        raise StorageError(f"object store error: {exc.__class__.__name__}") from exc
