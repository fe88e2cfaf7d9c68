"""One typed settings object, built from ``STREAMSTACK_*`` environment variables.

Settings are read once, at the edge (the CLI), and passed into the app factory; nothing
deeper in the code reads the environment.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from streamstack.kernel.storage.private_files import private_directory, write_private

MODULE_NAMES: tuple[str, ...] = ("auth", "catalogue", "streaming", "ingest")
Environment = Literal["dev", "production"]
Delivery = Literal["proxy", "nginx"]
LogFormat = Literal["console", "json"]

PREFIX = "STREAMSTACK_"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    """Everything a StreamStack process needs to know about its deployment."""

    environment: Environment = "dev"
    modules: tuple[str, ...] = MODULE_NAMES
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path(".streamstack")
    database_url: str = ""
    nats_url: str = ""
    s3_endpoint_url: str = ""
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    s3_region: str = "us-east-1"
    s3_pool_size: int = 64
    s3_timeout_seconds: float = 10.0
    media_bucket: str = "media"
    thumbnails_bucket: str = "thumbnails"
    auth_url: str = ""
    catalogue_url: str = ""
    streaming_url: str = ""
    ingest_url: str = ""
    internal_secret: str = ""
    jwt_private_key_path: Path | None = None
    jwt_public_key_path: Path | None = None
    jwt_issuer: str = "streamstack"
    jwt_audience: str = "streamstack"
    access_token_ttl_seconds: int = 1800
    refresh_token_ttl_seconds: int = 7 * 24 * 3600
    stream_token_ttl_seconds: int = 3600
    allow_registration: bool = True
    secure_cookies: bool = False
    # argon2id cost: production defaults are OWASP's minimum (m=19 MiB, t=2, p=1).
    argon2_memory_kib: int = 19456
    argon2_time_cost: int = 2
    argon2_parallelism: int = 1
    # Login throttling (OWASP): attempts allowed before backoff per email from one client
    # address, per address, and per account from anywhere (a much higher ceiling, so an
    # attacker elsewhere cannot lock the owner out); then a doubling delay capped at
    # login_throttle_max_seconds.
    login_throttle_email_attempts: int = 5
    login_throttle_address_attempts: int = 20
    login_throttle_account_attempts: int = 100
    login_throttle_max_seconds: int = 900
    # Who may create accounts: open, invite (single-use codes an admin creates) or closed.
    # Unset: open, or closed when allow_registration is false (its older spelling).
    registration_mode: str = ""
    # Registrations per client address before the same doubling backoff.
    registration_address_attempts: int = 20
    # A refresh token presented again within this many seconds of its rotation (two
    # browser tabs refreshing at once) gets the same new pair instead of ending the session.
    refresh_grace_seconds: float = 10.0
    streaming_delivery: Delivery = "proxy"
    stream_chunk_bytes: int = 256 * 1024
    max_upload_bytes: int = 10 * 1024**3
    # Ingest: the probe worker process's wall-clock and address-space limits, how many
    # probes may run at once, and how long an unfinished resumable upload is kept.
    ingest_probe_timeout_seconds: float = 60.0
    ingest_probe_memory_bytes: int = 1024**3
    ingest_probe_concurrency: int = 2
    ingest_upload_ttl_seconds: int = 24 * 3600
    max_request_body_bytes: int = 1024 * 1024
    shutdown_timeout_seconds: float = 30.0
    # Job queue (issue 14): how long a worker holds a job between heartbeats before it is
    # redelivered, how many deliveries a job gets before it is dead-lettered, and how many
    # jobs one worker process runs at once.
    jobs_ack_wait_seconds: float = 60.0
    jobs_max_deliver: int = 5
    worker_concurrency: int = 1
    web_dist_dir: Path | None = None
    log_format: LogFormat = "console"
    log_level: str = "INFO"

    # --- derived values -------------------------------------------------------------

    @property
    def effective_database_url(self) -> str:
        """The configured database URL, or a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'streamstack.sqlite3').resolve()}"

    @property
    def private_key_path(self) -> Path:
        """Where auth's RSA private key lives (generated there in dev mode)."""
        return self.jwt_private_key_path or self.data_dir / "jwt" / "private.pem"

    @property
    def public_key_path(self) -> Path:
        """Where every module reads the RSA public key from."""
        return self.jwt_public_key_path or self.data_dir / "jwt" / "public.pem"

    def module_url(self, module: str) -> str:
        """Base URL of a module that is not mounted in this process ('' when unset)."""
        url: str = getattr(self, f"{module}_url")
        return url

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed, validated again."""
        return validate(dataclasses.replace(self, **changes))

    # --- construction ----------------------------------------------------------------

    @classmethod
    def from_env(cls, env: Mapping[str, str], **overrides: Any) -> Settings:
        """Build settings from ``STREAMSTACK_*`` variables; ``overrides`` (CLI flags) win."""
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            var = PREFIX + field.name.upper()
            if var in env:
                values[field.name] = _parse(field.name, field.type, env[var], var)
        for name, value in overrides.items():
            if value is not None:
                values[name] = value
        environment = values.get("environment", "dev")
        if environment == "production" and "log_format" not in values:
            values["log_format"] = "json"
        return validate(cls(**values))


def validate(settings: Settings) -> Settings:
    """Check cross-field rules; raise :class:`SettingsError` naming the variable."""
    unknown = [m for m in settings.modules if m not in MODULE_NAMES]
    if unknown or not settings.modules:
        raise SettingsError(
            f"{PREFIX}MODULES: unknown module {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(MODULE_NAMES)}"
        )
    if len(set(settings.modules)) != len(settings.modules):
        raise SettingsError(f"{PREFIX}MODULES: a module is listed twice")
    if not 0 < settings.port < 65536:
        raise SettingsError(f"{PREFIX}PORT: {settings.port} is not a TCP port")
    if settings.database_url:
        _check_url(
            "DATABASE_URL", settings.database_url, ("postgresql+asyncpg", "sqlite+aiosqlite")
        )
    if settings.nats_url:
        for part in settings.nats_url.split(","):
            _check_url("NATS_URL", part, ("nats", "tls"))
    if settings.s3_endpoint_url:
        _check_url("S3_ENDPOINT_URL", settings.s3_endpoint_url, ("http", "https"))
    for module in MODULE_NAMES:
        url = settings.module_url(module)
        if url:
            _check_url(f"{module.upper()}_URL", url, ("http", "https"))
    for name in ("media_bucket", "thumbnails_bucket"):
        bucket = getattr(settings, name)
        if not (3 <= len(bucket) <= 63) or not all(c.isalnum() or c in "-." for c in bucket):
            raise SettingsError(f"{PREFIX}{name.upper()}: {bucket!r} is not a valid bucket name")
    for name in (
        "s3_pool_size",
        "access_token_ttl_seconds",
        "refresh_token_ttl_seconds",
        "stream_token_ttl_seconds",
        "max_upload_bytes",
        "max_request_body_bytes",
        "ingest_probe_timeout_seconds",
        "ingest_probe_memory_bytes",
        "ingest_probe_concurrency",
        "ingest_upload_ttl_seconds",
        "argon2_time_cost",
        "argon2_parallelism",
        "login_throttle_email_attempts",
        "login_throttle_address_attempts",
        "login_throttle_account_attempts",
        "login_throttle_max_seconds",
        "registration_address_attempts",
        "jobs_ack_wait_seconds",
        "jobs_max_deliver",
        "worker_concurrency",
    ):
        if getattr(settings, name) <= 0:
            raise SettingsError(f"{PREFIX}{name.upper()}: must be greater than zero")
    if settings.registration_mode not in ("", "open", "invite", "closed"):
        raise SettingsError(f"{PREFIX}REGISTRATION_MODE: expected one of open, invite, closed")
    if not settings.allow_registration and settings.registration_mode not in ("", "closed"):
        raise SettingsError(
            f"{PREFIX}REGISTRATION_MODE: {settings.registration_mode} contradicts "
            f"{PREFIX}ALLOW_REGISTRATION=false (which means closed); unset one of them"
        )
    if not 0 <= settings.refresh_grace_seconds <= 60:
        raise SettingsError(f"{PREFIX}REFRESH_GRACE_SECONDS: must be between 0 and 60")
    if settings.argon2_memory_kib < 8 * settings.argon2_parallelism:
        raise SettingsError(f"{PREFIX}ARGON2_MEMORY_KIB: must be at least 8 x ARGON2_PARALLELISM")
    if settings.stream_chunk_bytes < 64 * 1024:
        raise SettingsError(f"{PREFIX}STREAM_CHUNK_BYTES: must be at least 65536")
    if settings.environment == "production" and len(settings.internal_secret) < 16:
        raise SettingsError(
            f"{PREFIX}INTERNAL_SECRET: set a shared secret of 16+ characters in production"
        )
    return settings


def dev_defaults(settings: Settings) -> Settings:
    """Fill what dev mode may invent: a per-data-dir internal secret."""
    if settings.internal_secret:
        return settings
    secret_file = settings.data_dir / "internal-secret"
    if secret_file.exists():
        secret = secret_file.read_text().strip()
    else:
        private_directory(settings.data_dir, owned=True)
        secret = secrets.token_urlsafe(32)
        write_private(secret_file, secret.encode())
    return settings.replace(internal_secret=secret)


def _check_url(name: str, url: str, schemes: tuple[str, ...]) -> None:
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise SettingsError(f"{PREFIX}{name}: malformed URL {url!r} ({exc})") from None
    if parts.scheme not in schemes:
        raise SettingsError(
            f"{PREFIX}{name}: {url!r} must start with one of {', '.join(s + '://' for s in schemes)}"
        )
    if parts.scheme.startswith("sqlite"):
        return
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise SettingsError(f"{PREFIX}{name}: malformed port in {url!r}") from None
    if not parts.hostname and "host=" not in parts.query:
        raise SettingsError(f"{PREFIX}{name}: {url!r} has no host")


def _parse(name: str, annotation: Any, raw: str, var: str) -> Any:
    kind = str(annotation)
    raw = raw.strip()
    try:
        if name == "modules":
            return tuple(m.strip() for m in raw.split(",") if m.strip())
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            lowered = raw.lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError("expected true or false")
        if kind in ("Path", "Path | None"):
            return Path(raw) if raw else None
        for literal, choices in (
            ("Environment", get_args(Environment)),
            ("Delivery", get_args(Delivery)),
            ("LogFormat", get_args(LogFormat)),
        ):
            if kind == literal and raw not in choices:
                raise ValueError(f"expected one of {', '.join(choices)}")
    except ValueError as exc:
        raise SettingsError(f"{var}: {raw!r} is not valid ({exc})") from None
    return raw
