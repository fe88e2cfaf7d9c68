"""docker-compose.yml, .env.example, the Dockerfile and prometheus.yml agree with the code."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import nginx_template
import pytest
import yaml
from deploy_paths import COMPOSE_DIR, ROOT

from streamstack.settings import MODULE_NAMES, PREFIX, Settings, SettingsError

SETTINGS_VARIABLES = {PREFIX + field.name.upper() for field in dataclasses.fields(Settings)}
# ${NAME}, ${NAME:-default}, ${NAME:?message} as docker compose interpolates them.
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
SECRET_VARIABLES = (
    "STREAMSTACK_INTERNAL_SECRET",
    "STREAMSTACK_S3_SECRET_ACCESS_KEY",
    "POSTGRES_PASSWORD",
    "MINIO_ROOT_PASSWORD",
)


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's variable interpolation: ``env`` first, then the ``:-`` default."""

    def value(match: re.Match[str]) -> str:
        name, kind, rest = match.group(1), match.group(2), match.group(3)
        if name in env:
            return env[name]
        if kind and kind.endswith("?"):
            raise KeyError(f"{name} is required: {rest}")
        return rest or ""

    return INTERPOLATION.sub(value, text)


def env_example() -> dict[str, str]:
    """compose/.env.example as NAME -> value."""
    return nginx_template.read_values(COMPOSE_DIR / ".env.example")


def filled_env() -> dict[str, str]:
    """.env.example with every empty secret filled, as an operator would."""
    env = env_example()
    for name in SECRET_VARIABLES:
        env[name] = "s3cr3t-" + "x" * 24
    return env


def streamstack_names(text: str) -> set[str]:
    """Every STREAMSTACK_* word in a text."""
    return set(re.findall(r"\bSTREAMSTACK_[A-Z0-9_]+\b", text))


def test_every_service_of_the_stack_is_there(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("postgres", "nats", "minio", "buckets", "migrate", "nginx", "prometheus"):
        assert name in services, name
    for module in MODULE_NAMES:
        service = services[module]
        assert service["command"] == ["serve", "--module", module]
        assert service["deploy"]["replicas"] >= 2
        # One image for every module: the command picks the module.
        assert service["image"] == services["migrate"]["image"]
        assert service["build"]["target"] == "runtime"
    assert services["migrate"]["command"] == ["migrate"]
    assert services["nginx"]["build"]["target"] == "edge"


def test_replicas_wait_for_migrations_buckets_and_jetstream(compose: dict[str, Any]) -> None:
    for module in MODULE_NAMES:
        depends = compose["services"][module]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["buckets"]["condition"] == "service_completed_successfully"
        assert depends["nats"]["condition"] == "service_healthy"
    assert compose["services"]["migrate"]["depends_on"]["postgres"]["condition"] == (
        "service_healthy"
    )


def test_jetstream_stores_on_a_volume(compose: dict[str, Any]) -> None:
    nats = compose["services"]["nats"]
    command = nats["command"]
    assert "-js" in command
    store = command[command.index("-sd") + 1]
    assert any(mount.endswith(":" + store) for mount in nats["volumes"])
    for service, mount in (
        ("postgres", "/var/lib/postgresql/data"),
        ("minio", "/data"),
        ("prometheus", "/prometheus"),
    ):
        volumes = compose["services"][service]["volumes"]
        named = [v.split(":")[0] for v in volumes if v.endswith(":" + mount)]
        assert named and named[0] in compose["volumes"], (service, volumes)


def test_bucket_service_creates_both_buckets(compose: dict[str, Any]) -> None:
    buckets = compose["services"]["buckets"]
    script = "\n".join(buckets["command"])
    assert "mc mb" in script
    assert buckets["environment"]["MEDIA_BUCKET"] == "${STREAMSTACK_MEDIA_BUCKET:-media}"
    assert buckets["environment"]["THUMBNAILS_BUCKET"] == (
        "${STREAMSTACK_THUMBNAILS_BUCKET:-thumbnails}"
    )
    assert "$$MEDIA_BUCKET" in script and "$$THUMBNAILS_BUCKET" in script


def test_every_streamstack_variable_is_a_setting(compose_text: str) -> None:
    """A misspelt variable would be silently ignored by the services: none may exist."""
    sources = {
        "docker-compose.yml": compose_text,
        ".env.example": (COMPOSE_DIR / ".env.example").read_text(),
        "Dockerfile": (COMPOSE_DIR / "Dockerfile").read_text(),
    }
    for source, text in sources.items():
        names = streamstack_names(text)
        assert names, source
        unknown = sorted(names - SETTINGS_VARIABLES)
        assert not unknown, f"{source} uses {unknown}, which Settings does not have"


@pytest.mark.parametrize("module", [*MODULE_NAMES, "migrate"])
def test_compose_environment_makes_valid_production_settings(
    compose_text: str, module: str, tmp_path: Path
) -> None:
    """The environment compose gives each process, with .env.example filled in, validates."""
    compose = yaml.safe_load(interpolate(compose_text, filled_env()))
    environment = {k: str(v) for k, v in compose["services"][module]["environment"].items()}
    settings = Settings.from_env(environment)
    assert settings.environment == "production"
    assert settings.database_url.startswith("postgresql+asyncpg://")
    assert settings.nats_url == "nats://nats:4222"
    assert settings.s3_endpoint_url == "http://minio:9000"
    assert settings.log_format == "json"
    for other in MODULE_NAMES:
        assert settings.module_url(other) == "http://nginx:8081"
    mounted_secrets = compose["services"][module].get("secrets", [])
    if module == "auth":
        assert settings.jwt_private_key_path == Path("/run/secrets/jwt_private_key")
        assert settings.sealing_keys_path == Path("/run/secrets/sealing_keys")
        assert {"jwt_private_key", "sealing_keys"} <= set(mounted_secrets)
    else:
        # Only auth signs and seals: no other process gets those keys.
        assert settings.jwt_private_key_path is None and settings.sealing_keys_path is None
        assert not {"jwt_private_key", "sealing_keys"} & set(mounted_secrets)
    if module != "migrate":
        assert settings.jwt_public_key_path == Path("/run/secrets/jwt_public_key")
        assert "jwt_public_key" in mounted_secrets


def test_mail_settings_in_env_reach_the_auth_service_alone(compose_text: str) -> None:
    env = filled_env()
    assert env["STREAMSTACK_SMTP_URL"] == ""  # off unless the operator sets it
    env |= {
        "STREAMSTACK_SMTP_URL": "smtps://mailer:pw@mail.example.org:465",
        "STREAMSTACK_PUBLIC_URL": "https://video.example.org",
    }
    compose = yaml.safe_load(interpolate(compose_text, env))
    for module in MODULE_NAMES:
        environment = {k: str(v) for k, v in compose["services"][module]["environment"].items()}
        settings = Settings.from_env(environment)
        mailing = module == "auth"
        assert (settings.smtp_url != "", settings.public_url != "") == (mailing, mailing), module


def test_secrets_come_from_env_and_are_required(compose_text: str) -> None:
    for name in SECRET_VARIABLES:
        references = [m for m in INTERPOLATION.finditer(compose_text) if m.group(1) == name]
        assert references, name
        # ${NAME:?...}: compose refuses to start without it; no default secret exists.
        assert all(m.group(2) == ":?" for m in references), name
        assert env_example()[name] == "", f".env.example must not ship a value for {name}"
    with pytest.raises(KeyError, match="STREAMSTACK_INTERNAL_SECRET"):
        interpolate(compose_text, {k: v for k, v in filled_env().items() if "INTERNAL" not in k})


def test_a_short_internal_secret_is_refused(compose_text: str) -> None:
    env = {**filled_env(), "STREAMSTACK_INTERNAL_SECRET": "short"}
    compose = yaml.safe_load(interpolate(compose_text, env))
    environment = {k: str(v) for k, v in compose["services"]["catalogue"]["environment"].items()}
    with pytest.raises(SettingsError, match="STREAMSTACK_INTERNAL_SECRET"):
        Settings.from_env(environment)


def test_key_files_are_compose_secrets(compose: dict[str, Any]) -> None:
    secrets = compose["secrets"]
    assert (
        secrets["jwt_private_key"]["file"] == "${JWT_PRIVATE_KEY_FILE:-./secrets/jwt-private.pem}"
    )
    assert secrets["jwt_public_key"]["file"] == "${JWT_PUBLIC_KEY_FILE:-./secrets/jwt-public.pem}"
    assert secrets["sealing_keys"]["file"] == "${SEALING_KEYS_FILE:-./secrets/sealing-keys}"
    names = {"JWT_PRIVATE_KEY_FILE", "JWT_PUBLIC_KEY_FILE", "SEALING_KEYS_FILE"}
    assert names <= env_example().keys()


def test_services_stop_later_than_their_graceful_shutdown(compose: dict[str, Any]) -> None:
    timeout = float(Settings().shutdown_timeout_seconds)
    for module in MODULE_NAMES:
        grace = compose["services"][module]["stop_grace_period"]
        assert grace.endswith("s") and float(grace[:-1]) > timeout


def test_nginx_service_sets_every_placeholder_the_image_does_not(compose: dict[str, Any]) -> None:
    dockerfile = (COMPOSE_DIR / "Dockerfile").read_text()
    edge = dockerfile[dockerfile.index("AS edge") : dockerfile.index("AS runtime")]
    image_env = set(re.findall(r"^\s*(?:ENV\s+)?([A-Z_]+)=", edge, re.MULTILINE))
    compose_env = set(compose["services"]["nginx"]["environment"])
    # by nginx-entrypoint.sh, from the services' settings
    computed = {"MAX_UPLOAD_BODY_SIZE", "MAX_REQUEST_BODY_SIZE", "EMBED_ANCESTORS"}
    missing = nginx_template.placeholders() - image_env - compose_env - computed
    assert not missing, f"nothing sets {sorted(missing)} for the edge image"
    # Every replica under compose as under the tests: never marked down (rolling restarts).
    for module in MODULE_NAMES:
        servers = compose["services"]["nginx"]["environment"][f"{module.upper()}_SERVERS"]
        assert servers == f"server {module}:8000 {nginx_template.SERVER_OPTIONS} resolve;"
    # X-Accel S3 reads go to the very endpoint the services presign for.
    services = compose["services"]
    s3_endpoint = services["streaming"]["environment"]["STREAMSTACK_S3_ENDPOINT_URL"]
    assert services["nginx"]["environment"]["S3_ENDPOINT"] == s3_endpoint
    # The internal listener is never published; the public one is.
    assert compose["services"]["nginx"]["ports"] == ["${HTTP_PORT:-8080}:8080"]


def test_prometheus_scrapes_every_module(compose: dict[str, Any]) -> None:
    config = yaml.safe_load((COMPOSE_DIR / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    for module in MODULE_NAMES:
        job = jobs[module]
        assert job["metrics_path"] == "/metrics"
        sd = job["dns_sd_configs"][0]
        assert sd["names"] == [module] and sd["type"] == "A" and sd["port"] == 8000
    assert (
        "./prometheus.yml:/etc/prometheus/prometheus.yml:ro"
        in (compose["services"]["prometheus"]["volumes"])
    )


# --- Dockerfile -----------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined."""
    text = (COMPOSE_DIR / "Dockerfile").read_text().replace("\\\n", " ")
    result = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            instruction, _, rest = stripped.partition(" ")
            result.append((instruction.upper(), rest.strip()))
    return result


def stages() -> dict[str, list[tuple[str, str]]]:
    """The Dockerfile's instructions per stage name."""
    result: dict[str, list[tuple[str, str]]] = {}
    current = ""
    for instruction, rest in dockerfile_instructions():
        if instruction == "FROM":
            current = rest.split(" AS ")[-1].strip()
            result[current] = []
        result[current].append((instruction, rest))
    return result


def test_dockerfile_stages_build_web_then_wheel_then_a_slim_runtime() -> None:
    found = stages()
    assert list(found) == ["web", "wheels", "edge", "runtime"]  # runtime is the default target
    assert found["web"][0][1].startswith("node:20")
    assert found["wheels"][0][1].startswith("python:3.11")
    assert found["runtime"][0][1].startswith("python:3.11-slim")
    runtime = dict(found["runtime"])
    assert runtime["USER"] == "10001:10001"
    assert "/health" in runtime["HEALTHCHECK"]
    assert json.loads(runtime["ENTRYPOINT"]) == ["streamstack"]
    assert "npm run build" in dict(found["web"])["RUN"]


def test_dockerfile_copies_only_paths_that_exist_and_are_not_ignored() -> None:
    ignored = [
        line.strip()
        for line in (COMPOSE_DIR / "Dockerfile.dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    sources = []
    for instruction, rest in dockerfile_instructions():
        if instruction == "COPY" and "--from=" not in rest:
            sources.extend(rest.split()[:-1])
    assert "src" in sources and "pyproject.toml" in sources and "compose/nginx.conf" in sources
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: no such path in the repository"
        assert source.rstrip("/") not in ignored, f"COPY {source} is excluded by the ignore file"
    # Nothing secret may reach the build context.
    assert "compose/.env" in ignored and "compose/secrets" in ignored


def test_edge_entrypoint_is_copied_and_executable() -> None:
    entrypoint = COMPOSE_DIR / "nginx-entrypoint.sh"
    assert entrypoint.stat().st_mode & 0o111
    assert "COPY compose/nginx-entrypoint.sh" in (COMPOSE_DIR / "Dockerfile").read_text()


def test_transcoding_workers_are_a_scalable_service_of_the_same_image(compose_text: str) -> None:
    compose = yaml.safe_load(interpolate(compose_text, filled_env()))
    worker = compose["services"]["worker"]
    assert worker["command"] == ["worker"]
    assert worker["image"] == compose["services"]["migrate"]["image"]
    assert worker["deploy"]["replicas"] >= 2
    settings = Settings.from_env({k: str(v) for k, v in worker["environment"].items()})
    assert settings.environment == "production" and settings.nats_url == "nats://nats:4222"
    assert settings.module_url("catalogue") == "http://nginx:8081"
    assert settings.jwt_private_key_path is None and "jwt_private_key" not in worker["secrets"]
