"""Two modules in two processes talk over HTTP; in one process, in-process: same contract.

The catalogue asks streaming for a stream token (ISSUE_STREAM_TOKEN). Each deployment is
real ``streamstack serve`` processes on embedded backends sharing one data directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from streamstack.settings import Settings
from support.apps import bearer, free_port, make_settings, mint_token

VIDEO = os.urandom(3000)


class Service:
    """One ``streamstack serve`` process."""

    def __init__(self, modules: list[str], data_dir: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "streamstack", "serve", "--port", str(self.port)]
        for module in modules:
            args += ["--module", module]
        base = {k: v for k, v in os.environ.items() if not k.startswith("STREAMSTACK_")}
        self.log = (data_dir / f"serve-{'-'.join(modules)}.log").open("w")
        self.process = subprocess.Popen(
            args,
            env={
                **base,
                "STREAMSTACK_ENVIRONMENT": "dev",
                "STREAMSTACK_DATA_DIR": str(data_dir),
                **env,
            },
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited: {Path(self.log.name).read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"serve not ready: {Path(self.log.name).read_text()[-2000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


class Deployment:
    def __init__(self, catalogue_url: str, streaming_url: str, settings: Settings) -> None:
        self.catalogue_url = catalogue_url
        self.streaming_url = streaming_url
        self.settings = settings


@pytest.fixture(params=["one process", "two processes"])
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    data = tmp_path / "data"
    settings = make_settings("embedded", data)  # writes the key pair both processes use
    (data / "internal-secret").write_text("split-process-secret-0123456789")
    media = data / "objects" / "media"
    media.mkdir(parents=True)
    base = {k: v for k, v in os.environ.items() if not k.startswith("STREAMSTACK_")}
    subprocess.run(
        [sys.executable, "-m", "streamstack", "migrate", "--data-dir", str(data)],
        env=base,
        check=True,
        capture_output=True,
        timeout=60,
    )
    services: list[Service] = []
    try:
        if request.param == "one process":
            both = Service(["catalogue", "streaming"], data, {})
            services.append(both)
            both.wait_ready()
            yield Deployment(both.url, both.url, settings)
        else:
            streaming = Service(["streaming"], data, {})
            services.append(streaming)
            streaming.wait_ready()
            catalogue = Service(["catalogue"], data, {"STREAMSTACK_STREAMING_URL": streaming.url})
            services.append(catalogue)
            catalogue.wait_ready()
            yield Deployment(catalogue.url, streaming.url, settings)
    finally:
        for service in services:
            service.stop()


def test_stream_token_crosses_the_module_boundary(deployment: Deployment) -> None:
    media_id = str(uuid.uuid4())
    key = f"{media_id}.mp4"
    (deployment.settings.data_dir / "objects" / "media" / key).write_bytes(VIDEO)
    admin = bearer(mint_token(deployment.settings, role="admin"))
    viewer = bearer(mint_token(deployment.settings, role="viewer"))
    with httpx.Client(base_url=deployment.catalogue_url, timeout=10) as catalogue:
        created = catalogue.post(
            "/api/v1/catalogue/",
            json={
                "id": media_id,
                "title": "Across processes",
                "s3_key": key,
                "size_bytes": len(VIDEO),
                "content_type": "video/mp4",
            },
            headers=admin,
        )
        assert created.status_code == 201, created.text
        grant = catalogue.post(f"/api/v1/catalogue/{media_id}/stream-token", headers=viewer)
        assert grant.status_code == 200, grant.text
        stream_url = grant.json()["stream_url"]
        assert stream_url.startswith("/api/v1/stream/")
        assert grant.json()["expires_in"] > 0
        refused = catalogue.post(f"/api/v1/catalogue/{media_id}/stream-token")
        assert refused.status_code == 401
    with httpx.Client(base_url=deployment.streaming_url, timeout=10) as streaming:
        r = streaming.get(stream_url, headers={"Range": "bytes=100-199"})
        assert r.status_code == 206
        assert r.content == VIDEO[100:200]
        # The internal route is there, but only for callers holding the service secret.
        forged = streaming.post(
            "/internal/v1/stream/token",
            json={"media_id": media_id, "s3_key": key, "size_bytes": len(VIDEO)},
            headers=viewer,
        )
        assert forged.status_code == 401
