"""Media sent by a process that also serves the SPA (``dev``) goes out as stored: the SPA's
gzip (kernel/gzipped.py) is its own handler's, never the delivery path's."""

from __future__ import annotations

from pathlib import Path

import pytest
from streaming_rig import PATTERN, StreamSettings, stream_rig


@pytest.mark.parametrize("stream_backend", ["embedded"])
async def test_media_is_not_compressed_beside_a_gzipped_spa(
    stream_settings: StreamSettings, tmp_path: Path
) -> None:
    web = tmp_path / "dist"
    web.mkdir()
    (web / "index.html").write_text("<!doctype html>" + " " * 2000)
    async with stream_rig(stream_settings(web_dist_dir=web)) as rig:
        page = await rig.client.get("/index.html", headers={"Accept-Encoding": "gzip"})
        url = await rig.object_url()
        request = rig.client.build_request("GET", url, headers={"Accept-Encoding": "gzip"})
        media = await rig.client.send(request, stream=True)
        raw = b"".join([chunk async for chunk in media.aiter_raw()])
        await media.aclose()
    assert page.headers["content-encoding"] == "gzip"  # the SPA is served, and compressed
    assert media.status_code == 200
    assert "content-encoding" not in media.headers
    assert "vary" not in media.headers
    assert raw == PATTERN
