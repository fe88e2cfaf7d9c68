"""Two ``streamstack worker`` processes share the transcoding queue, as production runs them.

The harness's PostgreSQL, NATS JetStream and S3 servers; ``streamstack migrate``; one
``streamstack serve`` process with every module; two ``streamstack worker`` processes that
reach catalogue over HTTP with the service secret. Uploads through the API become jobs on
the JetStream queue; each job runs on exactly one worker, both workers take part, and every
item ends ``ready`` with its package under its own prefix.
"""

from __future__ import annotations

import re
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from system_rig import (
    MODULES,
    ChildProcess,
    Service,
    clean_environment,
    run_streamstack,
    running,
    start_all,
    streamstack_command,
)

from harness.servers import S3Endpoint, free_port
from streamstack.kernel.jwt import ensure_dev_keypair
from streamstack.kernel.sealing import ensure_dev_sealing_keys
from streamstack.settings import Settings
from support.apps import INTERNAL_SECRET, bearer, mint_token

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS / "ingest") not in sys.path:
    sys.path.insert(0, str(TESTS / "ingest"))
import transcode_media  # noqa: E402

JOBS = 3
ADMIN = "5b7c6a34-7c34-4b8e-8b53-3f2a3f0f9b10"


def worker_process(env: dict[str, str], name: str, logs: Path) -> tuple[ChildProcess, str]:
    """``streamstack worker`` on a loopback port (not started); the process and its URL."""
    port = free_port()
    argv = streamstack_command("worker", "--host", "127.0.0.1", "--port", str(port))
    process = ChildProcess(name=name, argv=argv, env=dict(env), log_path=logs / f"{name}.log")
    return process, f"http://127.0.0.1:{port}"


def processed(url: str) -> float:
    """Jobs a worker finished, from its /metrics."""
    text = httpx.get(f"{url}/metrics", timeout=5).text
    pattern = r'streamstack_jobs_settled_total{[^}]*outcome="processed"[^}]*} (\S+)'
    return sum(float(value) for value in re.findall(pattern, text))


def production_env(
    tmp_path: Path,
    database_url: str,
    nats_url: str,
    s3_endpoint: S3Endpoint,
    buckets: tuple[str, str],
    api_url: str,
) -> dict[str, str]:
    """What every process of this deployment gets: the servers, the secret, a fresh queue."""
    return clean_environment(
        STREAMSTACK_ENVIRONMENT="production",
        STREAMSTACK_DATA_DIR=str(tmp_path / "data"),
        STREAMSTACK_DATABASE_URL=database_url,
        STREAMSTACK_NATS_URL=nats_url,
        STREAMSTACK_S3_ENDPOINT_URL=s3_endpoint.url,
        STREAMSTACK_S3_ACCESS_KEY_ID=s3_endpoint.access_key_id,
        STREAMSTACK_S3_SECRET_ACCESS_KEY=s3_endpoint.secret_access_key,
        STREAMSTACK_S3_REGION=s3_endpoint.region,
        STREAMSTACK_MEDIA_BUCKET=buckets[0],
        STREAMSTACK_THUMBNAILS_BUCKET=buckets[1],
        STREAMSTACK_INTERNAL_SECRET=INTERNAL_SECRET,
        STREAMSTACK_JWT_PUBLIC_KEY_PATH=str(tmp_path / "keys" / "public.pem"),
        STREAMSTACK_TRANSCODE_QUEUE=f"media-{uuid.uuid4().hex[:12]}",
        STREAMSTACK_TRANSCODE_PRESET="ultrafast",
        STREAMSTACK_TRANSCODE_SEGMENT_SECONDS="1.0",
        STREAMSTACK_SHUTDOWN_TIMEOUT_SECONDS="10",
        STREAMSTACK_LOG_LEVEL="INFO",
        **{f"STREAMSTACK_{m.upper()}_URL": api_url for m in MODULES},
    )


def wait_until_settled(api_url: str, ids: list[str], admin: dict[str, str]) -> dict[str, str]:
    """Poll the items until each is ready or failed (3 minutes at most); their states."""
    deadline = time.monotonic() + 180
    states: dict[str, str] = {}
    while time.monotonic() < deadline:
        states = {
            media_id: httpx.get(f"{api_url}/api/v1/catalogue/{media_id}", headers=admin).json()[
                "processing_state"
            ]
            for media_id in ids
        }
        if all(state in ("ready", "failed") for state in states.values()):
            break
        time.sleep(0.3)
    return states


def test_two_worker_processes_share_the_queue(
    tmp_path: Path,
    fresh_database_url: str,
    nats_url: str,
    s3_endpoint: S3Endpoint,
    fresh_buckets: tuple[str, str],
    s3_client: Any,
) -> None:
    logs, keys = tmp_path / "logs", tmp_path / "keys"
    logs.mkdir()
    ensure_dev_keypair(keys / "private.pem", keys / "public.pem")
    ensure_dev_sealing_keys(keys / "sealing-keys")
    api_port = free_port()
    api_url = f"http://127.0.0.1:{api_port}"
    env = production_env(
        tmp_path, fresh_database_url, nats_url, s3_endpoint, fresh_buckets, api_url
    )
    run_streamstack(["migrate"], env, logs / "migrate.log")
    api = Service(
        name="api",
        argv=streamstack_command("serve", "--host", "127.0.0.1", "--port", str(api_port)),
        env={
            **env,
            "STREAMSTACK_JWT_PRIVATE_KEY_PATH": str(keys / "private.pem"),
            "STREAMSTACK_SEALING_KEYS_PATH": str(keys / "sealing-keys"),
        },
        log_path=logs / "api.log",
        port=api_port,
    )
    workers = [worker_process(env, f"worker-{index}", logs) for index in range(2)]
    source = transcode_media.vp9_webm(tmp_path).read_bytes()
    signing = Settings(
        jwt_private_key_path=keys / "private.pem", jwt_public_key_path=keys / "public.pem"
    )
    admin = bearer(mint_token(signing, role="admin", user_id=ADMIN))

    with running([api, *(process for process, _ in workers)]):
        for process, _ in workers:  # all three start at once: a start-up is seconds of CPU
            process.start()
        start_all([api])
        for process, url in workers:
            process.wait_until(f"{url}/ready")
        ids = []
        for index in range(JOBS):
            response = httpx.post(
                f"{api_url}/api/v1/ingest/upload",
                files={"file": ("clip.webm", source, "video/webm")},
                data={"title": f"Clip {index}"},
                headers=admin,
                timeout=60,
            )
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])

        states = wait_until_settled(api_url, ids, admin)

        assert set(states.values()) == {"ready"}, states
        counts = [processed(url) for _, url in workers]
        assert sum(counts) == JOBS and all(counts), counts
        for media_id in ids:
            listed = s3_client.list_objects_v2(Bucket=fresh_buckets[0], Prefix=f"{media_id}/hls/")
            assert f"{media_id}/hls/master.m3u8" in {o["Key"] for o in listed.get("Contents", [])}
