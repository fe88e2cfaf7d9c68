"""The one process's SPA files gzip-compressed, as the compose nginx sends them (walk 45 F5):
text for a client that accepts gzip, with its own ETag and ``Vary``; identity otherwise,
for a Range, for images and for the API."""

from __future__ import annotations

import asyncio
import gzip
import os
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from streamstack.kernel.gzipped import gzipped
from support.apps import AppClient, make_settings, running_app

SCRIPT = b"export function f(n) { return n * 2; }\n" * 800
STYLE = b".player { display: grid; place-items: center; }\n" * 100
IMAGE = bytes(range(256)) * 16  # a PNG's bytes as far as its name says
TINY = b"console.log(1)\n"
JS = "/assets/index-abc123.js"


@pytest.fixture(scope="module")
async def client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AppClient]:
    """The app serving a small built SPA: a script, a style sheet, an image, a tiny script."""
    tmp = tmp_path_factory.mktemp("spa-gzip")
    web = tmp / "dist"
    (web / "assets").mkdir(parents=True)
    (web / "index.html").write_text("<!doctype html><title>StreamStack</title><div id=root>")
    for name, body in (
        ("index-abc123.js", SCRIPT),
        ("index-abc123.css", STYLE),
        ("logo-abc123.png", IMAGE),
        ("tiny-abc123.js", TINY),
    ):
        (web / "assets" / name).write_bytes(body)
    settings = make_settings("embedded", tmp / "data", web_dist_dir=web, modules=["catalogue"])
    async with running_app(settings) as http:
        yield http


async def fetch(
    client: AppClient, path: str, accept_encoding: str | None, method: str = "GET", **headers: str
) -> tuple[httpx.Response, bytes]:
    """The answer to ``path`` and its body as sent (not decoded); ``accept_encoding`` None
    sends no Accept-Encoding at all (httpx otherwise adds its own)."""
    request = client.build_request(method, path, headers=headers)
    del request.headers["accept-encoding"]
    if accept_encoding is not None:
        request.headers["accept-encoding"] = accept_encoding
    response = await client.send(request, stream=True)
    raw = b"".join([chunk async for chunk in response.aiter_raw()])
    await response.aclose()
    return response, raw


@pytest.mark.parametrize("accept", ["gzip, br", "br;q=1, gzip;q=0.5", "*", "x-gzip", "GZIP"])
async def test_text_files_are_sent_gzipped_to_a_client_that_accepts_gzip(
    client: AppClient, accept: str
) -> None:
    identity, _ = await fetch(client, JS, "identity")
    for path, body, media_type in ((JS, SCRIPT, "text/javascript"), (JS[:-2] + "css", STYLE, "")):
        response, raw = await fetch(client, path, accept)
        assert response.status_code == 200
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers["vary"] == "Accept-Encoding"
        assert gzip.decompress(raw) == body
        assert int(response.headers["content-length"]) == len(raw) < len(body) // 5
        assert response.headers["content-type"].startswith(media_type or "text/css")
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    # RFC 9110 §8.8.3: another content coding is another representation, another ETag.
    gzipped, _ = await fetch(client, JS, accept)
    assert gzipped.headers["etag"] != identity.headers["etag"]
    assert gzipped.headers["last-modified"] == identity.headers["last-modified"]


@pytest.mark.parametrize(
    "accept", [None, "", "identity", "gzip;q=0", "gzip;q=0.000", "br", "*;q=0", "gzip;q=0, *"]
)
async def test_a_client_that_does_not_accept_gzip_gets_the_file_as_it_is(
    client: AppClient, accept: str | None
) -> None:
    response, raw = await fetch(client, JS, accept)
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert response.headers["vary"] == "Accept-Encoding"  # a cache must not hand it to others
    assert raw == SCRIPT
    assert response.headers["content-length"] == str(len(SCRIPT))
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


async def test_head_answers_the_gzip_headers_without_a_body(client: AppClient) -> None:
    get, raw = await fetch(client, JS, "gzip")
    head, body = await fetch(client, JS, "gzip", method="HEAD")
    assert (head.status_code, body) == (200, b"")
    for name in ("content-encoding", "content-length", "etag", "vary", "content-type"):
        assert head.headers[name] == get.headers[name], name
    assert head.headers["content-length"] == str(len(raw))


async def test_a_client_holding_the_gzip_etag_gets_304(client: AppClient) -> None:
    first, _ = await fetch(client, JS, "gzip")
    etag = first.headers["etag"]
    again, body = await fetch(client, JS, "gzip", **{"If-None-Match": etag})
    assert (again.status_code, body) == (304, b"")
    assert again.headers["etag"] == etag
    assert again.headers["vary"] == "Accept-Encoding"
    assert again.headers["cache-control"] == first.headers["cache-control"]
    # A cached identity copy is not the gzip one, nor the other way round.
    identity, _ = await fetch(client, JS, "identity")
    crossed, raw = await fetch(client, JS, "identity", **{"If-None-Match": etag})
    assert (crossed.status_code, raw) == (200, SCRIPT)
    held, _ = await fetch(client, JS, "identity", **{"If-None-Match": identity.headers["etag"]})
    assert held.status_code == 304
    failed, _ = await fetch(client, JS, "gzip", **{"If-Match": '"another"'})
    assert failed.status_code == 412


async def test_a_range_request_gets_the_whole_identity_file(client: AppClient) -> None:
    """Range names bytes of the identity body: never gzip bytes a resuming download would
    splice into it. Range is ignored, as it always was here (RFC 9110 §14.2 allows it)."""
    response, raw = await fetch(client, JS, "gzip", Range="bytes=0-9")
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert response.headers["vary"] == "Accept-Encoding"
    assert raw == SCRIPT


async def test_images_and_small_files_are_sent_as_they_are(client: AppClient) -> None:
    for path, body in (("/assets/logo-abc123.png", IMAGE), ("/assets/tiny-abc123.js", TINY)):
        response, raw = await fetch(client, path, "gzip")
        assert response.status_code == 200, path
        assert "content-encoding" not in response.headers, path
        assert "vary" not in response.headers, path
        assert raw == body, path


async def test_pages_and_the_api_are_answered_as_before(client: AppClient) -> None:
    page, _ = await fetch(client, "/library", "gzip")
    assert page.headers["cache-control"] == "no-cache"
    assert "content-encoding" not in page.headers
    index, _ = await fetch(client, "/index.html", "gzip")
    assert index.headers["cache-control"] == "no-cache"
    api, raw = await fetch(client, "/api/v1/catalogue", "gzip")
    assert api.status_code == 200, raw
    assert "content-encoding" not in api.headers
    assert "vary" not in api.headers
    assert raw.startswith(b"{")


async def test_a_new_build_of_a_file_is_compressed_anew(tmp_path: Path) -> None:
    web = tmp_path / "dist"
    web.mkdir()
    (web / "index.html").write_text("<!doctype html>")
    manifest = web / "manifest.json"
    manifest.write_bytes(b'{"name": "StreamStack"}' + b" " * 2000)
    settings = make_settings("embedded", tmp_path / "data", web_dist_dir=web, modules=["auth"])
    async with running_app(settings) as http:
        _, before = await fetch(http, "/manifest.json", "gzip")
        manifest.write_bytes(b'{"name": "Herons"}' + b" " * 2000)
        os.utime(manifest, ns=(1, 1))  # a new build, whatever the clock's resolution
        _, after = await fetch(http, "/manifest.json", "gzip")
    assert gzip.decompress(before).startswith(b'{"name": "StreamStack"}')
    assert gzip.decompress(after).startswith(b'{"name": "Herons"}')


def test_a_file_compressed_once_is_answered_without_a_thread(tmp_path: Path) -> None:
    """The second answer comes from memory on the event loop: it is given even where no
    thread can be had (the loop's executor shut down), as the same bytes; a file not
    compressed yet there cannot be, and a changed file is compressed anew."""
    script = tmp_path / "index-def456.js"
    script.write_bytes(SCRIPT)
    first = asyncio.run(gzipped(script, script.stat()))
    loop = asyncio.new_event_loop()
    try:
        no_threads = ThreadPoolExecutor()
        no_threads.shutdown()
        loop.set_default_executor(no_threads)
        assert loop.run_until_complete(gzipped(script, script.stat())) is first
        script.write_bytes(STYLE * 2)
        with pytest.raises(RuntimeError, match="after shutdown"):
            loop.run_until_complete(gzipped(script, script.stat()))
    finally:
        loop.close()
    assert gzip.decompress(asyncio.run(gzipped(script, script.stat()))) == STYLE * 2


def test_the_least_recently_answered_file_leaves_memory_first(tmp_path: Path) -> None:
    """A build's files and the one before's stay compressed; past that, the file answered
    longest ago is compressed anew when asked for again."""
    scripts = [tmp_path / f"chunk-{n}.js" for n in range(65)]
    for script in scripts:
        script.write_bytes(SCRIPT)

    async def answers() -> list[bytes]:
        return [await gzipped(script, script.stat()) for script in scripts]

    first = asyncio.run(answers())
    again = asyncio.run(answers())
    # The first file left when the 65th came, and so on: each was compressed anew.
    assert all(a is not b and a == b for a, b in zip(first, again, strict=True))
    last = scripts[-1]
    assert asyncio.run(gzipped(last, last.stat())) is again[-1]
