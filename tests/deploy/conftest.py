"""Deployment files (compose/) checked without Docker: parse, cross-check, render, nginx -t."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from deploy_paths import COMPOSE_DIR


@pytest.fixture(scope="session")
def compose_text() -> str:
    """compose/docker-compose.yml as written."""
    return (COMPOSE_DIR / "docker-compose.yml").read_text()


@pytest.fixture(scope="session")
def compose(compose_text: str) -> dict[str, Any]:
    """compose/docker-compose.yml parsed (YAML merge keys resolved)."""
    loaded: dict[str, Any] = yaml.safe_load(compose_text)
    return loaded
