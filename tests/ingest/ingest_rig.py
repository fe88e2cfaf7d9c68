"""The ingest test rig: an app on a backend kind, requests to it, what it stored, and the
items and HLS packages its transcoding made."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import m3u8  # type: ignore[import-untyped]
import msgspec
import pytest
from sqlalchemy import update

from streamstack.catalogue.models import MediaItemRow
from streamstack.contracts.catalogue import GET_MEDIA_ITEM, ItemLookup
from streamstack.ingest.outputs import MANIFEST_NAME, decode_manifest
from streamstack.kernel.db import Database
from streamstack.kernel.errors import ServiceUnavailable
from streamstack.kernel.revocation import REVOKED_TOKENS_BUCKET, RevocationList
from streamstack.kernel.transport import SECRET_HEADER
from streamstack.settings import Settings
from support.apps import bearer, free_port, mint_token, running_app, served_app
from support.commands import CommandLine
from support.waiting import eventually as eventually  # re-exported for the tests

API = "/api/v1/ingest"
CATALOGUE = "/api/v1/catalogue"
#: ``rig_factory(**setting_overrides)``: an async context manager yielding a :class:`Rig`.
RigFactory = Callable[..., Any]
TUS = {"Tus-Resumable": "1.0.0"}


def fast_transcoding() -> dict[str, Any]:
    """Settings of a test that transcodes: fast x264, one-second segments, and a queue of
    its own (the session's NATS server is shared: other tests' jobs stay out of it)."""
    return {
        "transcode_preset": "ultrafast",
        "transcode_segment_seconds": 1.0,
        "transcode_queue": f"media-{uuid.uuid4().hex[:12]}",
    }


def tus_metadata(**values: str) -> str:
    """An ``Upload-Metadata`` header."""
    return ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in values.items()
    )


@dataclasses.dataclass
class Rig:
    """One running app, with helpers to upload to it and to look into its storage."""

    settings: Settings
    client: httpx.AsyncClient
    s3: Any = None
    admin_id: str = "5b7c6a34-7c34-4b8e-8b53-3f2a3f0f9b10"
    _tokens: dict[tuple[str, str], dict[str, str]] = dataclasses.field(default_factory=dict)

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls, settings: Settings, s3: Any = None) -> AsyncIterator[Rig]:
        """Migrate and start the app for ``settings``."""
        async with running_app(settings) as client:
            yield cls(settings, client, s3)

    # --- who ---------------------------------------------------------------------------

    def admin(self, user_id: str | None = None) -> dict[str, str]:
        """Authorization of the rig's admin (or another one)."""
        return self._token("admin", user_id or self.admin_id)

    def viewer(self) -> dict[str, str]:
        """Authorization of a viewer."""
        return self._token("viewer", "0d9f3c1e-3b0e-4a51-9a4e-6f1d2c3b4a59")

    async def revoked_admin(self) -> dict[str, str]:
        """Authorization of an admin whose token is on the revoked list, as a sign-out puts it."""
        jti = uuid.uuid4().hex
        kv = self.client.app.state.backends.kv(REVOKED_TOKENS_BUCKET, 3600)
        await RevocationList(kv).revoke(jti)
        return bearer(mint_token(self.settings, role="admin", jti=jti))

    def _token(self, role: str, user_id: str) -> dict[str, str]:
        # Signing loads the RSA key each time: mint once per user and role.
        key = (role, user_id)
        if key not in self._tokens:
            self._tokens[key] = bearer(mint_token(self.settings, role=role, user_id=user_id))
        return self._tokens[key]

    # --- form uploads ----------------------------------------------------------------------

    async def upload(
        self,
        data: bytes,
        *,
        filename: str = "clip.mp4",
        fields: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """``POST /upload`` with ``data`` as the file part and a title unless told otherwise."""
        form = {"title": "A clip"} if fields is None else dict(fields)
        return await self.client.post(
            f"{API}/upload",
            files={"file": (filename, data, "video/mp4")},
            data=form,
            headers=dict(self.admin() if headers is None else headers),
        )

    # --- tus -------------------------------------------------------------------------------

    async def create(
        self, length: int, *, metadata: str | None = None, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        """tus creation of an upload of ``length`` bytes."""
        return await self.client.post(
            f"{API}/uploads",
            headers={
                **TUS,
                **self.admin(),
                "Upload-Length": str(length),
                "Upload-Metadata": tus_metadata(title="A clip") if metadata is None else metadata,
                **(headers or {}),
            },
        )

    async def patch(
        self, url: str, offset: int, data: bytes, *, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        """tus PATCH of ``data`` at ``offset``."""
        return await self.client.patch(
            url,
            content=data,
            headers={
                **TUS,
                **self.admin(),
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
                **(headers or {}),
            },
        )

    async def head(self, url: str) -> httpx.Response:
        """tus HEAD."""
        return await self.client.head(url, headers={**TUS, **self.admin()})

    async def tus_upload(self, data: bytes, chunk: int, *, metadata: str | None = None) -> str:
        """Create an upload and send ``data`` in ``chunk``-sized PATCHes; its URL."""
        created = await self.create(len(data), metadata=metadata)
        assert created.status_code == 201, created.text
        url = created.headers["location"]
        for offset in range(0, len(data), chunk):
            sent = await self.patch(url, offset, data[offset : offset + chunk])
            assert sent.status_code == 204, sent.text
            assert sent.headers["upload-offset"] == str(min(offset + chunk, len(data)))
        return url

    async def job(self, upload_id: str) -> dict[str, Any]:
        """``GET /jobs/{upload_id}``."""
        response = await self.client.get(f"{API}/jobs/{upload_id}", headers=self.admin())
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def metrics(self, *names: str) -> list[float]:
        """The samples called ``names`` (with their labels) on ``/metrics``; 0 when absent."""
        lines = (await self.client.get("/metrics")).text.splitlines()
        values = dict(line.rsplit(" ", 1) for line in lines if line and not line.startswith("#"))
        return [float(values.get(name, 0)) for name in names]

    # --- what is stored -----------------------------------------------------------------------

    async def catalogue_items(self) -> list[dict[str, Any]]:
        """Every item catalogue holds, drafts included (none if it is not mounted here)."""
        if "catalogue" not in self.settings.modules:
            return []
        response = await self.client.get(
            "/api/v1/catalogue/", params={"status": "all", "page_size": 100}, headers=self.admin()
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def stored(self) -> dict[str, list[str]]:
        """The keys in both buckets, and unfinished multipart uploads (``pending``)."""
        media, thumbnails = self.settings.media_bucket, self.settings.thumbnails_bucket
        if self.s3 is not None:
            listing: dict[str, list[str]] = {}
            pending: list[str] = []
            for name, bucket in (("media", media), ("thumbnails", thumbnails)):
                contents = self.s3.list_objects_v2(Bucket=bucket).get("Contents", [])
                listing[name] = sorted(item["Key"] for item in contents)
                uploads = self.s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
                pending += [upload["Key"] for upload in uploads]
            return {**listing, "pending": sorted(pending)}
        root = self.settings.data_dir / "objects"

        def files(folder: Path) -> list[str]:
            if not folder.is_dir():
                return []
            return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())

        return {
            "media": files(root / media),
            "thumbnails": files(root / thumbnails),
            "pending": files(root / ".multipart") + files(root / ".tmp"),
        }

    def object_bytes(self, kind: str, key: str) -> bytes:
        """The content of an object in the ``media`` or ``thumbnails`` bucket."""
        bucket = self.settings.media_bucket if kind == "media" else self.settings.thumbnails_bucket
        if self.s3 is not None:
            data: bytes = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            return data
        return (self.settings.data_dir / "objects" / bucket / key).read_bytes()

    async def snapshot(self) -> Snapshot:
        """What is stored now: object keys, pending multipart uploads, catalogue item ids."""
        items = sorted(item["id"] for item in await self.catalogue_items())
        return Snapshot(self.stored(), items)

    async def added_since(self, before: Snapshot) -> dict[str, list[str]]:
        """What was stored since ``before``: per bucket, ``pending`` and ``items``."""
        after = await self.snapshot()
        added = {
            name: sorted(set(keys) - set(before.stored.get(name, [])))
            for name, keys in after.stored.items()
        }
        gone = [
            key
            for name, keys in before.stored.items()
            for key in keys
            if key not in after.stored[name]
        ]
        assert not gone, f"objects disappeared: {gone}"
        return {**added, "items": sorted(set(after.items) - set(before.items))}

    async def assert_nothing_kept(self, before: Snapshot | None = None) -> None:
        """No new object, pending multipart upload or catalogue item (since ``before``)."""
        nothing = {"media": [], "thumbnails": [], "pending": [], "items": []}
        assert await self.added_since(before or Snapshot({}, [])) == nothing


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """What a rig stored at one moment."""

    stored: dict[str, list[str]]
    items: list[str]


# --- an item and its transcoded package ------------------------------------------------------


async def item_of(rig: Rig, media_id: str, *, viewer: bool = False) -> httpx.Response:
    """``GET /catalogue/{id}`` as the rig's admin (or a viewer)."""
    headers = rig.viewer() if viewer else rig.admin()
    return await rig.client.get(f"{CATALOGUE}/{media_id}", headers=headers)


async def whole_item(rig: Rig, media_id: str) -> httpx.Response:
    """The item whole, object keys included, as the catalogue's contract answers ingest
    (``GET_MEDIA_ITEM`` for the rig's admin): no public route answers its keys."""
    return await rig.client.post(
        GET_MEDIA_ITEM.path,
        content=msgspec.json.encode(ItemLookup(media_id)),
        headers={SECRET_HEADER: rig.settings.internal_secret, **rig.admin()},
    )


async def wait_for_state(
    rig: Rig, media_id: str, final: set[str], seconds: float = 90
) -> tuple[dict[str, Any], list[str]]:
    """Poll the item until its processing state is in ``final``; the states seen on the way.
    The item whole (:func:`whole_item`), so its object keys are known."""
    seen: list[str] = []
    async with asyncio.timeout(seconds):
        while True:
            response = await whole_item(rig, media_id)
            assert response.status_code == 200, response.text
            item: dict[str, Any] = response.json()
            if not seen or seen[-1] != item["processing_state"]:
                seen.append(item["processing_state"])
            if item["processing_state"] in final:
                return item, seen
            await asyncio.sleep(0.1)


def under_prefix(rig: Rig, media_id: str) -> list[str]:
    """Keys of the media bucket under the item's prefix."""
    return [key for key in rig.stored()["media"] if key.startswith(f"{media_id}/")]


def package_keys_of(rig: Rig, media_id: str) -> tuple[m3u8.M3U8, set[str]]:
    """The master playlist, and the keys of the package it names (each media playlist, its
    init segment and segments): every playlist it names is whole (segments, an end)."""
    master = m3u8.loads(rig.object_bytes("media", f"{media_id}/hls/master.m3u8").decode())
    assert master.is_variant and master.playlists
    uris = [v.uri for v in master.playlists] + [m.uri for m in master.media if m.uri]
    keys = set()
    for uri in uris:
        playlist_key = f"{media_id}/hls/{uri}"
        base = playlist_key.rsplit("/", 1)[0]
        media = m3u8.loads(rig.object_bytes("media", playlist_key).decode())
        assert media.segments and media.is_endlist and media.segment_map
        keys |= {playlist_key, f"{base}/{media.segment_map[0].uri}"}
        keys |= {f"{base}/{segment.uri}" for segment in media.segments}
    return master, keys


def assert_complete_package(rig: Rig, media_id: str, *, picture: bool = True) -> m3u8.M3U8:
    """The master lists only renditions whose playlist and every segment are stored; a
    package with a ``picture`` has its storyboard."""
    keys = set(under_prefix(rig, media_id))
    manifest = decode_manifest(rig.object_bytes("media", f"{media_id}/{MANIFEST_NAME}"))
    assert keys == {*manifest.keys, f"{media_id}/{MANIFEST_NAME}"}, "objects outside the manifest"
    master, package = package_keys_of(rig, media_id)
    assert package <= keys
    assert (f"{media_id}/storyboard/storyboard.vtt" in keys) is picture
    return master


class ServedApp:
    """The app for ``settings`` behind uvicorn on a real port, in a thread of its own.

    For what only a real server shows: a client that disconnects mid-body, and the CLI.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._running = contextlib.AsyncExitStack()

    async def __aenter__(self) -> ServedApp:
        await self._running.enter_async_context(served_app(self.settings, port=self.port))
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._running.aclose()


async def send_partial_request(
    url: str, head: bytes, body: bytes, until: Callable[[], Awaitable[bool]]
) -> None:
    """Send ``head`` and ``body`` over a raw connection, wait for ``until``, then hang up."""
    host, port = url.removeprefix("http://").split(":")
    _reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(head)
        for start in range(0, len(body), 256 * 1024):
            writer.write(body[start : start + 256 * 1024])
            await writer.drain()
        await eventually(until, "the server storing the first bytes")
    finally:
        writer.transport.abort()  # a reset, not a polite close


@contextlib.asynccontextmanager
async def served_rig(settings: Settings, s3: Any = None) -> AsyncIterator[tuple[Rig, ServedApp]]:
    """A rig whose client talks to the app over a real socket."""
    async with (
        ServedApp(settings) as served,
        httpx.AsyncClient(base_url=served.url, timeout=120) as client,
    ):
        yield Rig(settings, client, s3), served


# --- items written behind the app's back, and the CLI run as a user runs it ---


async def shown(rig: Rig, media_id: str) -> dict[str, Any]:
    """The item whole, as ingest's admin routes answer it (:func:`whole_item`)."""
    response = await whole_item(rig, media_id)
    assert response.status_code == 200, response.text
    item: dict[str, Any] = response.json()
    return item


async def uploaded_long_ago(
    rig: Rig, data: bytes, title: str, audio_codec: str = "mp3"
) -> dict[str, Any]:
    """An item as one uploaded before chapters were read, whose first (stub) track of
    ``audio_codec`` the probe then named: its row written back to what such an upload left."""
    response = await rig.upload(data, fields={"title": title})
    assert response.status_code == 201, response.text
    media_id = response.json()["id"]
    await written_back(rig, media_id, chapters=[], audio_codec=audio_codec, duration_seconds=0.05)
    return await shown(rig, media_id)


async def written_back(rig: Rig, media_id: str, **values: Any) -> None:
    """The item's row given ``values``, behind catalogue (what an older version left)."""
    # A connection of its own: the app may be served from another thread.
    database = Database(rig.settings.effective_database_url)
    try:
        async with database.unit_of_work() as session:
            await session.execute(
                update(MediaItemRow).where(MediaItemRow.id == uuid.UUID(media_id)).values(**values)
            )
    finally:
        await database.close()


def replace_original(rig: Rig, key: str, data: bytes | None) -> None:
    """The stored original overwritten with ``data``, or deleted (None), behind ingest."""
    if data is not None:
        write_behind(rig, key, data)
        return
    bucket = rig.settings.media_bucket
    if rig.s3 is not None:
        rig.s3.delete_object(Bucket=bucket, Key=key)
    else:
        (rig.settings.data_dir / "objects" / bucket / key).unlink()


class ReplicaDied(BaseException):
    """Stands for the replica dying (kill -9, the OOM killer): a BaseException, so nothing
    of the request's own (the undo of a failed finish, its failure record) runs after it."""


def write_behind(rig: Rig, key: str, data: bytes) -> None:
    """``data`` stored under ``key`` in the media bucket behind ingest (as a job killed
    midway, an older version or another tool left it): no manifest or record names it."""
    bucket = rig.settings.media_bucket
    if rig.s3 is not None:
        rig.s3.put_object(Bucket=bucket, Key=key, Body=data)
        return
    path = rig.settings.data_dir / "objects" / bucket / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


async def packaged_behind(
    rig: Rig, media_id: str, files: Mapping[str, bytes], *, sized: bool = True
) -> None:
    """The item given an HLS package of ``files`` (named under its prefix) and the
    ``outputs.json`` a transcode leaves, written behind ingest (without the files' sizes,
    unless ``sized``: as packages made before they were recorded)."""
    keys = [f"{media_id}/{name}" for name in files]
    for key, data in zip(keys, files.values(), strict=True):
        write_behind(rig, key, data)
    sizes = {key: len(data) for key, data in zip(keys, files.values(), strict=True)}
    manifest = msgspec.json.encode({"keys": keys, "live": keys, "sizes": sizes if sized else {}})
    write_behind(rig, f"{media_id}/{MANIFEST_NAME}", manifest)
    await written_back(rig, media_id, has_hls=True)


class Command(CommandLine):
    """Runs ``streamstack upload`` (or ``name``) as the rig's admin against ``served``."""

    def __init__(self, rig: Rig, served: ServedApp, folder: Path, name: str = "upload") -> None:
        super().__init__(name, folder, mint_token(rig.settings, role="admin", user_id=rig.admin_id))
        self.rig, self.served = rig, served
        self.state_file = self.cache / "streamstack" / "uploads.json"

    def video(self, name: str, data: bytes) -> Path:
        """A file to upload."""
        path = self.folder / name
        path.write_bytes(data)
        return path

    def remembered(self) -> dict[str, Any]:
        if not self.state_file.exists():
            return {}
        state: dict[str, Any] = json.loads(self.state_file.read_text())
        return state


class ScratchHolder:
    """Another worker process on this machine, in the middle of a job: its scratch
    directory made as a job's is, held until it ends (or is killed)."""

    def __init__(self, root: Path) -> None:
        code = (
            "import sys, time; from pathlib import Path;"
            "from streamstack.ingest.jobs import scratch_space\n"
            "with scratch_space(Path(sys.argv[1])) as scratch:\n"
            "    (scratch / 'source').write_bytes(b'x' * 1024)\n"
            "    print(scratch, flush=True); time.sleep(120)"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, str(root)], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.scratch = Path(self.process.stdout.readline().strip())
        assert (self.scratch / "source").is_file()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


class Away:
    """``owner.name`` (a method, run in this process) failing ``failures`` times with the
    503 a service restarting behind the proxy answers (the HTTP transport's for nginx's
    502); with ``done_first``, each failing call did its work first, its answer lost."""

    def __init__(
        self,
        monkeypatch: pytest.MonkeyPatch,
        owner: type,
        name: str,
        failures: int,
        *,
        done_first: bool = False,
        retry_after: str = "5",
    ) -> None:
        self.failures = failures
        method = getattr(owner, name)

        async def away(*args: Any, **kwargs: Any) -> Any:
            if self.failures == 0:
                return await method(*args, **kwargs)
            self.failures -= 1
            if done_first:
                await method(*args, **kwargs)
            raise ServiceUnavailable(
                "the service is unreachable (its proxy answered 502)",
                code="module_unavailable",
                headers={"Retry-After": retry_after},
            )

        monkeypatch.setattr(owner, name, away)
