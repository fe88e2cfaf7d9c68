"""Production never falls back to embedded backends: a missing URL stops the start-up.

Each mounted module names the backends it needs; with ``STREAMSTACK_ENVIRONMENT=production``
an unset URL for one of them is a one-line settings error naming the variable, both from
``create_app`` and from ``streamstack serve``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from streamstack.app import create_app
from streamstack.kernel.backends import Backends
from streamstack.settings import MODULE_NAMES, Settings, SettingsError
from support.apps import INTERNAL_SECRET, make_settings
from support.processes import clean_environment, streamstack_command

# Addresses nothing listens on: building the app connects to nothing, so none is dialled.
URLS: dict[str, str] = {
    "database_url": "postgresql+asyncpg://u:p@127.0.0.1:9/none",
    "nats_url": "nats://127.0.0.1:9",
    "s3_endpoint_url": "http://127.0.0.1:9",
    **{f"{module}_url": f"http://127.0.0.1:9/{module}" for module in MODULE_NAMES},
}

# What each module needs in production (a module may come to need more; this is the floor).
NEEDS = [
    ("auth", "database_url"),
    ("auth", "nats_url"),
    ("catalogue", "database_url"),
    ("catalogue", "nats_url"),
    ("streaming", "nats_url"),
    ("streaming", "s3_endpoint_url"),
    ("ingest", "database_url"),
    ("ingest", "s3_endpoint_url"),
]


def production(tmp_path: Path, modules: tuple[str, ...], **changes: Any) -> Settings:
    return make_settings(
        "embedded", tmp_path, modules=modules, environment="production", **{**URLS, **changes}
    )


@pytest.mark.parametrize(("module", "field"), NEEDS)
def test_a_missing_url_stops_a_production_module(tmp_path: Path, module: str, field: str) -> None:
    settings = production(tmp_path, (module,), **{field: ""})
    with pytest.raises(SettingsError) as raised:
        create_app(settings)
    message = str(raised.value)
    assert message.startswith(f"STREAMSTACK_{field.upper()}: required in production")
    assert "\n" not in message
    assert not (tmp_path / "kv.sqlite3").exists()
    assert not (tmp_path / "streamstack.sqlite3").exists()
    assert not (tmp_path / "objects").exists()


@pytest.mark.parametrize("module", MODULE_NAMES)
def test_a_production_module_with_every_url_builds(tmp_path: Path, module: str) -> None:
    create_app(production(tmp_path, (module,)))


def test_dev_mode_still_uses_embedded_backends(tmp_path: Path) -> None:
    settings = make_settings("embedded", tmp_path)
    assert settings.environment == "dev"
    create_app(settings)
    assert (tmp_path / "kv.sqlite3").exists()


def test_serve_without_a_nats_url_is_a_one_line_error(tmp_path: Path) -> None:
    settings = production(tmp_path, ("streaming",))
    env = clean_environment(
        STREAMSTACK_ENVIRONMENT="production",
        STREAMSTACK_INTERNAL_SECRET=INTERNAL_SECRET,
        STREAMSTACK_JWT_PUBLIC_KEY_PATH=str(settings.public_key_path),
        STREAMSTACK_S3_ENDPOINT_URL=URLS["s3_endpoint_url"],
        **{f"STREAMSTACK_{m.upper()}_URL": URLS[f"{m}_url"] for m in MODULE_NAMES},
        STREAMSTACK_DATA_DIR=str(tmp_path / "data"),
    )
    result = subprocess.run(
        streamstack_command("serve", "--module", "streaming", "--port", "9"),
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("streamstack: error: STREAMSTACK_NATS_URL: required in production")
    assert not (tmp_path / "data").exists()


def test_the_nats_connection_waits_as_long_as_the_setting_says(tmp_path: Path) -> None:
    settings = production(tmp_path, MODULE_NAMES, nats_timeout_seconds=7.5)
    assert Backends(settings).nats.timeout == 7.5
