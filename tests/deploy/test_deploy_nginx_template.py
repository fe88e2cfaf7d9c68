"""compose/nginx.conf renders the same with Python and with envsubst, and nginx accepts it."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import nginx_template
import pytest
from deploy_paths import COMPOSE_DIR, ROOT

from harness.tools import require_tool
from streamstack.settings import Settings


def local_values(tmp_path: Path) -> dict[str, str]:
    return nginx_template.local_values(
        tmp_path / "nginx",
        public_listen="127.0.0.1:18080",
        internal_listen="127.0.0.1:18081",
        servers={
            "auth": ["127.0.0.1:18001", "127.0.0.1:18002"],
            "catalogue": ["127.0.0.1:18003", "127.0.0.1:18004"],
            "streaming": ["127.0.0.1:18005"],
            "ingest": ["127.0.0.1:18006"],
        },
        web_root=ROOT / "web",
        objects_dir=tmp_path / "objects",
        s3_endpoint="http://127.0.0.1:19000",
        max_upload_bytes=Settings().max_upload_bytes,
        max_request_body_bytes=Settings().max_request_body_bytes,
    )


def test_every_placeholder_is_filled(tmp_path: Path) -> None:
    rendered = nginx_template.render(local_values(tmp_path))
    assert "${" not in rendered
    assert "server 127.0.0.1:18002 max_fails=0;" in rendered
    # nginx's own variables are left alone.
    assert "$request_uri" in rendered and "$stream_prefix[token]$stream_rest" in rendered
    assert "$share_prefix[secret]$share_rest" in rendered


def test_missing_or_unknown_values_are_refused(tmp_path: Path) -> None:
    values = local_values(tmp_path)
    with pytest.raises(KeyError, match="WEB_ROOT"):
        nginx_template.render({k: v for k, v in values.items() if k != "WEB_ROOT"})
    with pytest.raises(KeyError, match="TYPO"):
        nginx_template.render({**values, "TYPO": "x"})


def test_upload_limit_follows_ingest_limit() -> None:
    limit = nginx_template.upload_body_limit(Settings().max_upload_bytes)
    assert limit == 10 * 1024**3 + nginx_template.UPLOAD_FRAMING_BYTES


def test_nginx_accepts_the_rendered_template(tmp_path: Path) -> None:
    nginx = require_tool("nginx", "checks compose/nginx.conf with nginx -t")
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx_template.render(local_values(tmp_path)))
    result = subprocess.run(
        [nginx, "-t", "-e", "stderr", "-p", str(tmp_path), "-c", str(conf)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_edge_entrypoint_renders_exactly_like_python(tmp_path: Path) -> None:
    """The edge image's envsubst renders what the tests render, byte for byte."""
    require_tool("envsubst", "runs the edge image's entrypoint script")
    values = local_values(tmp_path)
    settings = Settings()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "NGINX_TEMPLATE": str(COMPOSE_DIR / "nginx.conf"),
        "NGINX_CONF": str(tmp_path / "from-entrypoint.conf"),
        "STREAMSTACK_MAX_UPLOAD_BYTES": str(settings.max_upload_bytes),
        "STREAMSTACK_MAX_REQUEST_BODY_BYTES": str(settings.max_request_body_bytes),
        **{k: v for k, v in values.items() if not k.startswith("MAX_")},
    }
    subprocess.run(["sh", str(COMPOSE_DIR / "nginx-entrypoint.sh")], env=env, check=True)
    assert (tmp_path / "from-entrypoint.conf").read_text() == nginx_template.render(values)


def test_edge_entrypoint_refuses_a_missing_placeholder(tmp_path: Path) -> None:
    require_tool("envsubst", "runs the edge image's entrypoint script")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "NGINX_TEMPLATE": str(COMPOSE_DIR / "nginx.conf"),
        "NGINX_CONF": str(tmp_path / "never.conf"),
    }
    result = subprocess.run(
        ["sh", str(COMPOSE_DIR / "nginx-entrypoint.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "is not set" in result.stderr
    assert not (tmp_path / "never.conf").exists()


def location_directives(text: str) -> dict[str, set[str]]:
    """Each location's own directives, whitespace-normalised, by URI (modifiers dropped)."""
    text = re.sub(r"#[^\n]*", "", text)
    found: dict[str, set[str]] = {}
    for match in re.finditer(r"location\s+(?:[=~^]+\s+)?(\S+)\s*\{", text):
        depth, end = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
        body = text[match.end() : end - 1]
        statements = re.split(r";|\{\s*\}", body)
        found[match.group(1)] = {" ".join(s.split()) for s in statements if s.strip()}
    return found


#: Snippet directives the template provides once for the whole public server instead.
SERVER_LEVEL_HEADERS = {
    'add_header Cache-Control "private, no-transform" always',
    'add_header X-Content-Type-Options "nosniff" always',
    "add_header Content-Disposition $streamstack_disposition always",
}


def test_x_accel_locations_match_the_streaming_snippet() -> None:
    """compose/nginx-streaming.conf (streaming's) and the template must not drift apart."""
    snippet = (COMPOSE_DIR / "nginx-streaming.conf").read_text()
    # Same values under the template's placeholder names.
    snippet = snippet.replace("${STREAMSTACK_OBJECTS_DIR}", "${STREAM_OBJECTS_DIR}")
    snippet = snippet.replace("${STREAMSTACK_S3_ENDPOINT}", "${S3_ENDPOINT}")
    snippet = snippet.replace("${STREAMSTACK_STREAMING_UPSTREAM}", "http://streaming")
    # The snippet logs its errors to stderr, the template to its configured error log.
    snippet = snippet.replace("error_log stderr ", "error_log ${ERROR_LOG} ")
    theirs = location_directives(snippet)
    ours = location_directives((COMPOSE_DIR / "nginx.conf").read_text())
    assert set(theirs) <= set(ours), f"missing locations {sorted(set(theirs) - set(ours))}"
    for location, directives in theirs.items():
        if location == "/api/v1/stream/":
            # Upstream, HTTP/1.1 and forwarding headers are set once for every location.
            directives = {d for d in directives if "buffering" in d}
        # The template sets these for every public answer at the server level (nginx drops
        # inherited headers in a location adding its own); tests/system checks the result.
        missing = directives - ours[location] - SERVER_LEVEL_HEADERS
        assert not missing, f"{location}: the template lacks {sorted(missing)}"
