"""The whole platform as production runs it: four services x two replicas behind real nginx.

The harness's PostgreSQL, NATS JetStream and S3 servers; ``streamstack migrate``; each module
as its own ``streamstack serve --module M`` process, two replicas each, on loopback ports;
``compose/nginx.conf`` rendered for those ports and run by Debian's nginx. Modules call each
other through nginx's internal listener (STREAMSTACK_<MODULE>_URL), which balances the
replicas; browsers (httpx here) only ever talk to the public listener.

The two streaming replicas use different deliveries, as during a change of
STREAMSTACK_STREAMING_DELIVERY: replica 0 streams the bytes itself (proxy), replica 1 hands
them to nginx (X-Accel-Redirect to a presigned S3 GET), so range requests cover both of the
template's paths. Then one replica of every module stops (gracefully, exit 0) and the
journey runs again on the survivors: nginx retries what reached a stopped replica. Last,
catalogue's rolling restart goes on: its stopped replica starts again, the other one stops,
and no request fails.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from system_rig import (
    MODULES,
    Nginx,
    Service,
    clean_environment,
    run_streamstack,
    running,
    start_all,
    web_root,
)
from system_video import h264_aac_mp4

from harness.servers import S3Endpoint, free_port
from harness.tools import require_tool
from streamstack.contracts.streaming import ISSUE_STREAM_TOKEN
from streamstack.kernel.jwt import ensure_dev_keypair
from streamstack.kernel.sealing import ensure_dev_sealing_keys
from streamstack.kernel.transport import SECRET_HEADER
from streamstack.settings import Settings
from support.apps import INTERNAL_SECRET, bearer

ADMIN_EMAIL = "admin@streamstack.example"
ADMIN_PASSWORD = "admin password for the system test"
VIEWER_PASSWORD = "viewer password for the system test"
MAX_UPLOAD_BYTES = 64 * 1024 * 1024


@dataclass
class Stack:
    """The running platform."""

    nginx: Nginx
    services: dict[str, list[Service]]
    env: dict[str, str]
    logs: Path


@pytest.fixture
def stack(
    tmp_path: Path,
    fresh_database_url: str,
    nats_url: str,
    s3_endpoint: S3Endpoint,
    fresh_buckets: tuple[str, str],
) -> Iterator[Stack]:
    """Migrated database, eight ready services, nginx in front, an admin account."""
    nginx_binary = require_tool("nginx", "the system test runs the services behind nginx")
    logs = tmp_path / "logs"
    logs.mkdir()
    keys = tmp_path / "keys"
    ensure_dev_keypair(keys / "private.pem", keys / "public.pem")
    ensure_dev_sealing_keys(keys / "sealing-keys")
    internal_port = free_port()
    internal_url = f"http://127.0.0.1:{internal_port}"
    env = clean_environment(
        STREAMSTACK_ENVIRONMENT="production",
        STREAMSTACK_DATA_DIR=str(tmp_path / "data"),
        STREAMSTACK_DATABASE_URL=fresh_database_url,
        STREAMSTACK_NATS_URL=nats_url,
        STREAMSTACK_S3_ENDPOINT_URL=s3_endpoint.url,
        STREAMSTACK_S3_ACCESS_KEY_ID=s3_endpoint.access_key_id,
        STREAMSTACK_S3_SECRET_ACCESS_KEY=s3_endpoint.secret_access_key,
        STREAMSTACK_S3_REGION=s3_endpoint.region,
        STREAMSTACK_MEDIA_BUCKET=fresh_buckets[0],
        STREAMSTACK_THUMBNAILS_BUCKET=fresh_buckets[1],
        STREAMSTACK_INTERNAL_SECRET=INTERNAL_SECRET,
        STREAMSTACK_JWT_PUBLIC_KEY_PATH=str(keys / "public.pem"),
        STREAMSTACK_MAX_UPLOAD_BYTES=str(MAX_UPLOAD_BYTES),
        STREAMSTACK_SHUTDOWN_TIMEOUT_SECONDS="10",
        STREAMSTACK_ARGON2_MEMORY_KIB="1024",
        STREAMSTACK_ARGON2_TIME_COST="1",
        STREAMSTACK_LOG_LEVEL="INFO",
        **{f"STREAMSTACK_{module.upper()}_URL": internal_url for module in MODULES},
    )
    # Only auth signs tokens and seals secrets, so only auth gets those keys (as in compose).
    auth_env = {
        **env,
        "STREAMSTACK_JWT_PRIVATE_KEY_PATH": str(keys / "private.pem"),
        "STREAMSTACK_SEALING_KEYS_PATH": str(keys / "sealing-keys"),
    }
    run_streamstack(["migrate"], env, logs / "migrate.log")

    services: dict[str, list[Service]] = {}
    for module in MODULES:
        base = auth_env if module == "auth" else env
        services[module] = [
            Service.create(
                [module], f"{module}-{replica}", {**base, **replica_settings(module, replica)}, logs
            )
            for replica in (0, 1)
        ]
    settings = Settings()
    nginx = Nginx.create(
        nginx_binary,
        tmp_path / "nginx",
        servers={module: [s.address for s in replicas] for module, replicas in services.items()},
        web=web_root(tmp_path / "web"),
        objects_dir=tmp_path / "data" / "objects",
        s3_endpoint=s3_endpoint.url,
        max_upload_bytes=MAX_UPLOAD_BYTES,
        max_request_body_bytes=settings.max_request_body_bytes,
        internal_port=internal_port,
    )
    everything = [s for replicas in services.values() for s in replicas]
    with running([*everything, nginx]), ThreadPoolExecutor(1) as admin_maker:
        nginx.start()
        # The admin goes into the migrated database while the services start (it needs none
        # of them): one process start-up less to wait for.
        admin = admin_maker.submit(
            run_streamstack,
            ["create-admin", "--email", ADMIN_EMAIL, "--password-stdin"],
            auth_env,
            logs / "create-admin.log",
            stdin=ADMIN_PASSWORD + "\n",
        )
        start_all(everything)
        nginx.wait_ready()
        admin.result()
        yield Stack(nginx, services, env, logs)


def replica_settings(module: str, replica: int) -> dict[str, str]:
    """Per-replica settings: streaming's two replicas use the two delivery modes."""
    if module == "streaming":
        return {"STREAMSTACK_STREAMING_DELIVERY": "proxy" if replica == 0 else "nginx"}
    return {}


def sign_in(web: httpx.Client, email: str, password: str) -> dict[str, Any]:
    response = web.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    assert tokens["access_token"] and tokens["refresh_token"]
    return tokens


def journey(web: httpx.Client, video: bytes, label: str, request_ids: list[str]) -> list[str]:
    """Invite (admin), register with the code, sign in, upload (admin), browse, play by
    ranges, refresh, sign out.

    Returns the stream tokens it was given (secrets that must not reach nginx's log) and
    adds to ``request_ids`` those of its stream-token requests (catalogue -> streaming).
    """
    # Registration is by invitation unless configured otherwise: the admin invites the viewer.
    admin = sign_in(web, ADMIN_EMAIL, ADMIN_PASSWORD)
    email = f"viewer-{label}-{uuid.uuid4().hex[:8]}@streamstack.example"
    account = {"email": email, "password": VIEWER_PASSWORD, "display_name": f"Viewer {label}"}
    uninvited = web.post("/api/v1/auth/register", json=account)
    assert (uninvited.status_code, uninvited.json()["code"]) == (403, "invite_required")
    invite = web.post("/api/v1/auth/invites", headers=bearer(admin["access_token"]))
    assert invite.status_code == 201, invite.text
    registered = web.post(
        "/api/v1/auth/register", json={**account, "invite_code": invite.json()["code"]}
    )
    assert registered.status_code == 201, registered.text
    viewer = sign_in(web, email, VIEWER_PASSWORD)
    me = web.get("/api/v1/auth/me", headers=bearer(viewer["access_token"]))
    assert me.status_code == 200 and me.json()["email"] == email

    # The admin uploads a video: probed, thumbnailed, registered and published.
    title = f"System journey {label} {uuid.uuid4().hex[:8]}"
    uploaded = web.post(
        "/api/v1/ingest/upload",
        headers=bearer(admin["access_token"]),
        data={"title": title, "description": "made by the system test", "publish": "true"},
        files={"file": ("journey.mp4", video, "video/mp4")},
    )
    assert uploaded.status_code == 201, uploaded.text
    item = uploaded.json()
    assert item["title"] == title and item["status"] == "published"
    assert item["size_bytes"] == len(video)
    assert item["video_codec"] == "h264" and item["width"] == 320 and item["height"] == 240
    assert item["duration_seconds"] == pytest.approx(2.0, abs=0.2)

    # Browse finds it.
    page = web.get("/api/v1/catalogue", params={"q": title}, headers=bearer(viewer["access_token"]))
    assert page.status_code == 200, page.text
    assert [found["id"] for found in page.json()["items"]] == [item["id"]]
    thumbnail = web.get(item["thumbnail_url"])
    assert thumbnail.status_code == 200
    assert thumbnail.headers["content-type"] == "image/jpeg"
    assert thumbnail.content.startswith(b"\xff\xd8")

    # A stream token, then several range requests: each twice, so both streaming replicas
    # (round robin) answer each one.
    granted = web.post(
        f"/api/v1/catalogue/{item['id']}/stream-token", headers=bearer(viewer["access_token"])
    )
    assert granted.status_code == 200, granted.text
    stream_url = granted.json()["stream_url"]
    request_ids.append(granted.headers["x-request-id"])
    size = len(video)
    for first, last in (
        (0, 99),
        (100, 4095),
        (size // 2, size // 2 + 9999),
        (size - 700, size - 1),
    ):
        for _ in range(2):
            part = web.get(stream_url, headers={"Range": f"bytes={first}-{last}"})
            assert part.status_code == 206, part.text
            assert part.headers["content-range"] == f"bytes {first}-{last}/{size}"
            assert part.content == video[first : last + 1]
    suffix = web.get(stream_url, headers={"Range": "bytes=-500"})
    assert suffix.status_code == 206 and suffix.content == video[-500:]
    whole = web.get(stream_url)
    assert whole.status_code == 200 and whole.content == video

    # Refresh: a new pair that works.
    refreshed = web.post("/api/v1/auth/refresh", json={"refresh_token": viewer["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    session = refreshed.json()
    assert session["access_token"] != viewer["access_token"]
    assert web.get("/api/v1/auth/me", headers=bearer(session["access_token"])).status_code == 200

    # Sign out: that access token is revoked everywhere, and its refresh token is dead.
    signed_out = web.post("/api/v1/auth/logout", headers=bearer(session["access_token"]))
    assert signed_out.status_code == 204, signed_out.text
    revoked = bearer(session["access_token"])
    refused = web.post(f"/api/v1/catalogue/{item['id']}/stream-token", headers=revoked)
    assert refused.status_code == 401, refused.text  # streaming checked the revocation list
    assert web.get("/api/v1/auth/me", headers=revoked).status_code == 401
    again = web.post("/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert again.status_code == 401, again.text
    return [stream_url.rsplit("/", 1)[1]]


def refused_everywhere(web: httpx.Client, url: str, within: float, shown: int = 206) -> None:
    """``url`` answers 404 on every replica (four in a row, round robin) within ``within`` s;
    ``shown`` (a range's 206, a thumbnail's 200) until then."""
    deadline, in_a_row = time.monotonic() + within, 0
    while in_a_row < 4:
        status = web.get(url, headers={"Range": "bytes=0-99"}).status_code
        assert status in (shown, 404), status
        in_a_row = in_a_row + 1 if status == 404 else 0
        assert time.monotonic() < deadline, f"{url} still plays after {within} s"


def check_takedown(web: httpx.Client, video: bytes) -> None:
    """Unpublishing stops an item's stream tokens on every streaming replica within 5 s;
    deleting it takes its objects down (its thumbnail 404s) (issue 13.9)."""
    admin = bearer(sign_in(web, ADMIN_EMAIL, ADMIN_PASSWORD)["access_token"])
    uploaded = web.post(
        "/api/v1/ingest/upload",
        headers=admin,
        data={"title": f"Take-down {uuid.uuid4().hex[:8]}", "publish": "true"},
        files={"file": ("takedown.mp4", video, "video/mp4")},
    )
    assert uploaded.status_code == 201, uploaded.text
    item = uploaded.json()
    granted = web.post(f"/api/v1/catalogue/{item['id']}/stream-token", headers=admin)
    stream_url = granted.json()["stream_url"]
    assert web.get(stream_url, headers={"Range": "bytes=0-99"}).status_code == 206
    time.sleep(1.05)  # tokens carry whole seconds: withdraw in a later one

    patched = web.patch(f"/api/v1/catalogue/{item['id']}", json={"status": "draft"}, headers=admin)
    assert patched.status_code == 200, patched.text
    refused_everywhere(web, stream_url, within=5.0)
    # Its stills too, on every replica; the admin's browser (the stills pass) still sees them.
    refused_everywhere(web, item["thumbnail_url"], within=5.0, shown=200)
    with httpx.Client(base_url=web.base_url, timeout=30) as browser:
        signed_in = browser.post(
            "/api/v1/auth/login",
            json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
            headers={"X-Refresh-Cookie": "1"},
        )
        assert signed_in.status_code == 200, signed_in.text
        for url in (item["thumbnail_url"], item["poster_url"]) * 2:  # each replica
            assert browser.get(url).status_code == 200, url

    # An item uploaded as a draft was never shown: its stills are refused by id from the start.
    draft = web.post(
        "/api/v1/ingest/upload",
        headers=admin,
        data={"title": f"Draft {uuid.uuid4().hex[:8]}", "publish": "false"},
        files={"file": ("draft.mp4", video, "video/mp4")},
    )
    assert draft.status_code == 201 and draft.json()["status"] == "draft", draft.text
    refused_everywhere(web, draft.json()["thumbnail_url"], within=5.0, shown=200)

    assert web.delete(f"/api/v1/catalogue/{item['id']}", headers=admin).status_code == 204
    deadline = time.monotonic() + 30
    while web.get(item["thumbnail_url"]).status_code != 404:
        assert time.monotonic() < deadline, "the deleted item's thumbnail is still served"
        time.sleep(0.2)


def check_spa(web: httpx.Client) -> None:
    """nginx serves the SPA: index for client routes, long-cached gzipped hashed assets."""
    index = web.get("/")
    assert index.status_code == 200 and "text/html" in index.headers["content-type"]
    assert index.headers["cache-control"] == "no-cache"
    client_route = web.get(f"/watch/{uuid.uuid4()}")
    assert client_route.status_code == 200 and client_route.text == index.text
    asset = re.search(r'src="(/assets/[^"]+\.js)"', index.text)
    assert asset, "index.html names no script under /assets/"
    script = web.get(asset.group(1), headers={"Accept-Encoding": "gzip"})
    assert script.status_code == 200
    assert script.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert script.headers["content-encoding"] == "gzip"
    assert web.get("/assets/missing-0000.js").status_code == 404
    unknown_api = web.get("/api/v1/nothing-here")
    assert unknown_api.status_code == 404 and unknown_api.json()["code"] == "not_found"


def check_internal_is_private(stack: Stack) -> None:
    """/internal/ (and /metrics) cannot be reached through the public listener."""
    with httpx.Client(base_url=stack.nginx.public_url, timeout=30) as web:
        for method, path in (
            ("POST", ISSUE_STREAM_TOKEN.path),
            ("POST", "/internal/v1/catalogue/items"),
            ("GET", "/internal/"),
            ("GET", "/internal"),
            ("GET", "/metrics"),
        ):
            answer = web.request(method, path, headers={SECRET_HEADER: INTERNAL_SECRET}, json={})
            assert answer.status_code == 404, (method, path, answer.status_code)
            assert answer.json()["code"] == "not_found"
    # The internal listener, by contrast, reaches the operation (which wants a bearer token).
    with httpx.Client(base_url=stack.nginx.internal_url, timeout=30) as internal:
        answer = internal.post(
            ISSUE_STREAM_TOKEN.path,
            headers={SECRET_HEADER: INTERNAL_SECRET},
            json={"media_id": "m", "s3_key": "k.mp4", "size_bytes": 1},
        )
        assert answer.status_code == 401, answer.text


def browse(web: httpx.Client, token: str) -> int:
    """The status of one catalogue page, as a signed-in user asks for it."""
    return web.get("/api/v1/catalogue", headers=bearer(token)).status_code


def check_rolling_restart(stack: Stack, web: httpx.Client) -> None:
    """The next step of a rolling restart of catalogue (replica 0 stopped): replica 0 starts
    again and, once its own /ready answers, replica 1 stops; nginx answers every request.

    One refused connect used to take replica 0 out of nginx for 10 s, however soon it was
    back: with replica 1 stopped too, 503 "no replica of this service answered".
    """
    stopped, serving = stack.services["catalogue"]
    token = sign_in(web, ADMIN_EMAIL, ADMIN_PASSWORD)["access_token"]
    # Users browse meanwhile: nginx tries the stopped replica, then the other one (afresh:
    # the journeys before may have logged such a retry long ago).
    retried = f"upstream={stopped.address}, {serving.address} "
    before = stack.nginx.access_log().count(retried)
    deadline = time.monotonic() + 15
    while stack.nginx.access_log().count(retried) == before:
        assert browse(web, token) == 200
        assert time.monotonic() < deadline, "nginx sent no request to the stopped replica"

    stopped.start()
    stopped.wait_ready()
    assert serving.stop() == 0
    assert [browse(web, token) for _ in range(4)] == [200] * 4


def test_user_journey_through_nginx_survives_losing_replicas_and_a_rolling_restart(
    stack: Stack,
) -> None:
    video = h264_aac_mp4(seconds=2.0)
    with httpx.Client(base_url=stack.nginx.public_url, timeout=60) as web:
        check_spa(web)
        request_ids: list[str] = []
        tokens = journey(web, video, "first", request_ids)
        check_takedown(web, video)

        for module in MODULES:
            # Graceful stop: exits 0 once its in-flight requests are done.
            assert stack.services[module][0].stop() == 0, module
        tokens += journey(web, video, "second", request_ids)
        check_rolling_restart(stack, web)

    check_internal_is_private(stack)
    access_log = stack.nginx.access_log()
    assert "/api/v1/stream/[token]" in access_log
    for token in tokens:
        assert token not in access_log, "a stream token reached nginx's access log"
    streaming_logs = [replica.log_path.read_text() for replica in stack.services["streaming"]]
    # Both streaming deliveries served ranges in the first journey.
    for replica, log in zip(stack.services["streaming"], streaming_logs, strict=True):
        assert "/api/v1/stream/[token]" in log, replica.name
    # A stream-token request keeps its id from nginx through catalogue to streaming.
    for request_id in request_ids:
        assert request_id in access_log
        assert any(request_id in log for log in streaming_logs), request_id
