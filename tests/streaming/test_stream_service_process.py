"""The streaming service as deployed: ``streamstack serve --module streaming`` on its own."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import httpx
from streaming_rig import PATTERN, LiveStream, StreamSettings, free_port, stream_rig, subprocess_env

from streamstack.kernel.backends import Backends


async def test_serve_runs_the_streaming_module_alone(
    stream_settings: StreamSettings, tmp_path: Path
) -> None:
    port = free_port()
    settings = stream_settings(port=port, host="127.0.0.1")
    log = tmp_path / "service.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "streamstack", "serve", "--module", "streaming"],
        env=subprocess_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    backends = Backends(settings)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, log.read_text()
                try:
                    health = await http.get(f"{base}/health")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "the service did not come up"
                    await asyncio.sleep(0.1)
            live = LiveStream(settings, base, backends, http)
            url = base + await live.stream_url(await live.put_media())
            ranged = await http.get(url, headers={"Range": "bytes=100-199"})
            ready = await http.get(f"{base}/ready")
    finally:
        process.terminate()
        exit_code = process.wait(timeout=30)
        await backends.close()

    assert health.json() == {"status": "ok", "modules": ["streaming"]}
    assert ranged.status_code == 206
    assert ranged.content == PATTERN[100:200]
    assert ready.status_code == 200, ready.text
    assert "database" not in ready.json()["checks"]  # streaming needs no Postgres
    assert exit_code == 0


async def test_the_stream_routes_are_documented(stream_settings: StreamSettings) -> None:
    async with stream_rig(stream_settings()) as rig:
        document = (await rig.client.get("/api/docs/openapi.json")).json()

    stream = document["paths"]["/api/v1/stream/{token}"]
    thumbnail = document["paths"]["/api/v1/stream/thumbnails/{name}"]
    assert {"206", "304", "404", "416", "503"} <= set(stream["get"]["responses"])
    assert "head" in stream
    assert {"304", "404"} <= set(thumbnail["get"]["responses"])
    assert not any(path.startswith("/internal") for path in document["paths"])
