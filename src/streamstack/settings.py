"""One typed settings object, built from ``STREAMSTACK_*`` environment variables.

Settings are read once, at the edge (the CLI), and passed into the app factory; nothing
deeper in the code reads the environment.

Each field's type carries its rules (``Annotated`` with :class:`msgspec.Meta` constraints:
positive, a TCP port, a bucket name …) and ``msgspec.convert`` parses the variables' text
into them, so a new setting is one typed line, not a new parsing branch. Rules across
fields (URL schemes, the production secret) are checked after, in :func:`validate`.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import secrets
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import msgspec

from streamstack.kernel.jobs import QUEUE_NAME
from streamstack.kernel.patterns import in_words, whole
from streamstack.kernel.storage.private_files import private_directory, write_private

MODULE_NAMES: tuple[str, ...] = ("auth", "catalogue", "streaming", "ingest")
Environment = Literal["dev", "production"]
Delivery = Literal["proxy", "nginx"]
LogFormat = Literal["console", "json"]
RegistrationMode = Literal["open", "invite", "closed"]
GuestAccess = Literal["browse", "none"]
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
#: A level in any case (``info`` too): a misspelt one started at INFO without a word.
LogLevel = Annotated[str, msgspec.Meta(pattern=f"(?i)^({'|'.join(LOG_LEVELS)})$")]
TranscodePreset = Literal[
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"
]

# Field constraints, checked by msgspec when settings are built or replaced.
Positive = Annotated[int, msgspec.Meta(gt=0)]
PositiveSeconds = Annotated[float, msgspec.Meta(gt=0)]
QueueName = Annotated[str, msgspec.Meta(pattern=whole(QUEUE_NAME))]
Port = Annotated[int, msgspec.Meta(gt=0, lt=65536)]
BucketName = Annotated[
    str, msgspec.Meta(min_length=3, max_length=63, pattern=whole(r"[A-Za-z0-9.\-]+"))
]
#: The server's name as people see it (mail subjects and From, the SPA's header and tab
#: titles, authenticator apps, the feed): one line, so no header it goes into can be split,
#: with no space at either end (the variable's text is trimmed).
SITE_NAME_MAX = 60
_NAME_EDGE = r"[^\s\x00-\x1f\x7f-\x9f]"
SiteName = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=SITE_NAME_MAX,
        pattern=whole(
            rf"{_NAME_EDGE}(?:[^\x00-\x1f\x7f-\x9f\u2028\u2029]*{_NAME_EDGE})?",
            "a name on one line, without control characters or spaces at its ends",
        ),
    ),
]

PREFIX = "STREAMSTACK_"

#: The longest an access token may live: a signed-out token's id stays on the revocation
#: list this long (a NATS bucket's TTL is fixed when it is created), and a token outliving
#: its entry would be accepted again.
LONGEST_ACCESS_TOKEN_SECONDS = 7 * 24 * 3600

#: How long a NATS request (and the first connect) may take before NATS is declared away and
#: the caller gets a 503 (fail closed). A busy but healthy server (a loaded host, a stream or
#: bucket being created) answered in just over 2 s, the old fixed timeout, and users got 503s;
#: 5 s rides that out while a hung NATS still costs a request only a few seconds.
NATS_TIMEOUT_SECONDS = 5.0
#: How long a request waits on the database (a statement, a new or free connection, SQLite's
#: write lock) before it counts as not answering and the request gets a 503: a hung server
#: (frozen, swapping) cost each request asyncpg's 30 s command timeout and more, where
#: requests' statements take milliseconds.
DATABASE_TIMEOUT_SECONDS = 5.0


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    """Everything a StreamStack process needs to know about its deployment."""

    environment: Environment = "dev"
    # The server's name people see ("Herons Film Club"): the SPA's header and tab titles,
    # mails' From and subjects, authenticator apps' entry, the feed's title.
    site_name: SiteName = "StreamStack"
    modules: tuple[str, ...] = MODULE_NAMES
    host: str = "127.0.0.1"
    port: Port = 8000
    data_dir: Path = Path(".streamstack")
    database_url: str = ""
    database_timeout_seconds: PositiveSeconds = DATABASE_TIMEOUT_SECONDS
    nats_url: str = ""
    nats_timeout_seconds: PositiveSeconds = NATS_TIMEOUT_SECONDS
    s3_endpoint_url: str = ""
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    s3_region: str = "us-east-1"
    s3_pool_size: Positive = 64
    s3_timeout_seconds: PositiveSeconds = 10.0
    media_bucket: BucketName = "media"
    thumbnails_bucket: BucketName = "thumbnails"
    auth_url: str = ""
    catalogue_url: str = ""
    streaming_url: str = ""
    ingest_url: str = ""
    # Timeout of a call to another module's /internal/ operations over HTTP.
    internal_timeout_seconds: PositiveSeconds = 10.0
    internal_secret: str = ""
    jwt_private_key_path: Path | None = None
    jwt_public_key_path: Path | None = None
    # The keys that seal secrets kept at rest (kernel/sealing.py; auth's two-factor secrets).
    sealing_keys_path: Path | None = None
    jwt_issuer: str = "streamstack"
    jwt_audience: str = "streamstack"
    access_token_ttl_seconds: Annotated[
        int, msgspec.Meta(gt=0, le=LONGEST_ACCESS_TOKEN_SECONDS)
    ] = 1800
    refresh_token_ttl_seconds: Positive = 7 * 24 * 3600
    stream_token_ttl_seconds: Positive = 3600
    secure_cookies: bool = False
    # Strict-Transport-Security's max-age on answers to HTTPS requests (every answer with
    # secure_cookies); 0 = never. One year, as OWASP recommends (scanners want 6 months).
    hsts_seconds: Annotated[int, msgspec.Meta(ge=0, le=2 * 365 * 24 * 3600)] = 365 * 24 * 3600
    # The sites that may frame a share link's embed page (/embed/s/<secret>), as CSP
    # frame-ancestors sources: * any (a link is already a capability whoever holds it may
    # open; the page does nothing else), or a list such as https://club.example
    # https://*.school.example; 'none' turns embedding off. Every other page: 'none'.
    embed_ancestors: str = "*"
    # argon2id cost: production defaults are OWASP's minimum (m=19 MiB, t=2, p=1).
    argon2_memory_kib: int = 19456
    argon2_time_cost: Positive = 2
    argon2_parallelism: Positive = 1
    # Login throttling (OWASP): attempts allowed before backoff per email from one client
    # address, per address, and per account from anywhere (a much higher ceiling, so an
    # attacker elsewhere cannot lock the owner out); then a doubling delay capped at
    # login_throttle_max_seconds.
    login_throttle_email_attempts: Positive = 5
    login_throttle_address_attempts: Positive = 20
    login_throttle_account_attempts: Positive = 100
    login_throttle_max_seconds: Positive = 900
    # Searches one client address may have the catalogue run (pages its cache does not
    # hold; admins' are not counted), then one more every search_refill_seconds: the
    # list is public and a search no index narrows reads every item (catalogue/budgets.py).
    search_burst: Positive = 30
    search_refill_seconds: PositiveSeconds = 2.0
    # Comments one account may post at once (admins' are not counted), then one more every
    # comment_refill_seconds: people write a few in a row, a script floods a video
    # (catalogue/comments.py).
    comment_burst: Positive = 5
    comment_refill_seconds: PositiveSeconds = 20.0
    # Stream tokens one client address may have issued by share links (people watching
    # without an account), then one more every shared_token_refill_seconds (catalogue/
    # budgets.py): a player asks on load and to renew, a script in a loop would not stop.
    shared_token_burst: Positive = 20
    shared_token_refill_seconds: PositiveSeconds = 3.0
    # How often the catalogue looks for scheduled drafts whose time has come (and publishes
    # them): a scheduled video goes public at most this late.
    catalogue_schedule_interval_seconds: PositiveSeconds = 10.0
    # Who may create accounts: open, invite (single-use codes an admin creates) or closed.
    # Invite by default: an account watches every published video, and a server on the
    # internet should not give that to anyone who asks.
    registration_mode: RegistrationMode = "invite"
    # What someone signed out may see: ``browse`` (the published catalogue, its comments,
    # tags and related videos; playing needs an account) or ``none`` (a members-only
    # server: nothing but sign-in, registration and share links). Browse by default: a
    # server that upgrades keeps the public catalogue it had (DESIGN.md, "Members only").
    guest_access: GuestAccess = "browse"
    # Registrations per client address before the same doubling backoff.
    registration_address_attempts: Positive = 20
    # Password resets by email ("Forgot your password?"): the mail server
    # (smtp://[user:password@]host[:port][?starttls=true] or smtps://…; empty: no mail, an
    # admin issues reset links), the From of its mails (default no-reply@ the public host)
    # and the https origin its links point at (never the request's Host header, which
    # anyone can write). ``streamstack dev`` writes mails to <data dir>/mail instead.
    smtp_url: str = ""
    mail_from: str = ""
    public_url: str = ""
    # A refresh token presented again within this many seconds of its rotation (two
    # browser tabs refreshing at once) gets the same new pair instead of ending the session.
    refresh_grace_seconds: Annotated[float, msgspec.Meta(ge=0, le=60)] = 10.0
    streaming_delivery: Delivery = "proxy"
    # 1 MiB: the fastest chunk measured for cached files (64 KiB 0.48, 256 KiB 0.86,
    # 1 MiB 1.05 GB/s with 16 clients), and the fewest loop iterations per range.
    stream_chunk_bytes: Annotated[int, msgspec.Meta(ge=64 * 1024)] = 1024 * 1024
    max_upload_bytes: Positive = 10 * 1024**3
    # Ingest: the probe worker process's wall-clock and address-space limits, how many
    # probes may run at once, and how long an unfinished resumable upload is kept.
    ingest_probe_timeout_seconds: PositiveSeconds = 60.0
    ingest_probe_memory_bytes: Positive = 1024**3
    ingest_probe_concurrency: Positive = 2
    ingest_upload_ttl_seconds: Positive = 24 * 3600
    # An upload that would leave less than this free on a local media directory is refused
    # at its start, not when the disk fills (what resumable uploads still owe counts as used).
    ingest_free_space_reserve_bytes: Annotated[int, msgspec.Meta(ge=0)] = 1024**3
    # /ready fails when the data directory's disk (embedded backends: the SQLite files, the
    # local object directory) has less than this free. SQLite fails writes before the disk
    # is quite full (its WAL grows by up to 4 MiB, 1000 pages, between checkpoints, and a
    # checkpoint or a long transaction needs more), so the floor is that many times over:
    # monitoring hears of it while sign-ins still work.
    data_dir_free_space_floor_bytes: Annotated[int, msgspec.Meta(ge=0)] = 32 * 1024**2
    # The storage audit calls an object of no item an orphan (to delete) only once it is this
    # old: an upload's objects exist before its item is registered, and a restore of the
    # database may lag behind the buckets for a while.
    ingest_orphan_grace_seconds: Annotated[int, msgspec.Meta(ge=0)] = 24 * 3600
    max_request_body_bytes: Positive = 1024 * 1024
    shutdown_timeout_seconds: PositiveSeconds = 30.0
    # Job queue (issue 14): how long a worker holds a job between heartbeats before it is
    # redelivered, how many deliveries a job gets before it is dead-lettered, and how many
    # jobs one worker process runs at once.
    jobs_ack_wait_seconds: PositiveSeconds = 60.0
    jobs_max_deliver: Positive = 5
    worker_concurrency: Positive = 1
    # Transcoding workers (issue 14): run them inside the app process (``streamstack dev``
    # does; production runs ``streamstack worker``), the job queue they share (deployments
    # sharing one NATS give each its own name), the x264 preset, the HLS segment
    # length, the transcoder's wall-clock limit and address space (0: budgeted from the
    # source's frame size), the largest frame accepted, and where the scratch directories
    # for the spooled original and the package go (unset: a folder of the user's in the
    # system's temporary directory).
    worker_in_process: bool = False
    transcode_queue: QueueName = "media"
    transcode_preset: TranscodePreset = "veryfast"
    transcode_segment_seconds: PositiveSeconds = 4.0
    transcode_timeout_seconds: PositiveSeconds = 43_200.0
    transcode_stall_seconds: PositiveSeconds = 600.0
    transcode_memory_bytes: Annotated[int, msgspec.Meta(ge=0)] = 0
    # The transcoder runs this much nicer than the worker: beside the app on one machine
    # (``dev``, a small server) it yields the cores to playback and sign-ins while they need
    # them, and has them all otherwise (bench/transcode_contention.py measured 0, 10, 19).
    transcode_niceness: Annotated[int, msgspec.Meta(ge=0, le=19)] = 19
    transcode_max_pixels: Positive = 7680 * 4320
    transcode_spool_dir: Path | None = None
    web_dist_dir: Path | None = None
    log_format: LogFormat = "console"
    log_level: LogLevel = "INFO"
    # Request metrics (Prometheus middleware) and access lines; off only to measure their
    # cost (bench/observability.py), never in production.
    request_observability: bool = True

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

    @property
    def sealing_keys_file(self) -> Path:
        """Where the keys sealing secrets at rest live (generated there in dev mode)."""
        return self.sealing_keys_path or self.data_dir / "sealing-keys"

    def module_url(self, module: str) -> str:
        """Base URL of a module that is not mounted in this process ('' when unset)."""
        url: str = getattr(self, f"{module}_url")
        return url

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed, validated again."""
        return validate(_converted(dataclasses.replace(self, **changes).values()))

    def values(self) -> dict[str, Any]:
        """Field name -> value."""
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}

    # --- construction ----------------------------------------------------------------

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], *, only: Collection[str] | None = None, **overrides: Any
    ) -> Settings:
        """Build settings from ``STREAMSTACK_*`` variables; ``overrides`` (CLI flags) win.
        With ``only``, just those fields are read and checked, the others keep their
        defaults: a one-shot command is not refused for settings it does not use (``migrate``
        for a PUBLIC_URL that is not https, with the services' whole env file)."""
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            var = PREFIX + field.name.upper()
            if var in env and (only is None or field.name in only):
                values[field.name] = _text_value(env[var], field.default)
        for name, value in overrides.items():
            if value is not None:
                values[name] = value
        # The log format follows the environment even where the environment is not read.
        environment = values.get("environment", env.get(f"{PREFIX}ENVIRONMENT", "dev"))
        if environment == "production" and "log_format" not in values:
            values["log_format"] = "json"
        return validate(_converted(values, env))


#: ``STREAMSTACK_*`` variables that are not settings: the CLI's, the nginx template's and
#: the test tools' (every ``STREAMSTACK_TEST_*`` too).
NOT_SETTINGS = frozenset(
    {
        "SERVER",
        "TOKEN",
        "OBJECTS_DIR",
        "STREAMING_UPSTREAM",
        "S3_ENDPOINT",
        "REQUIRE_ALL",
        "SCREENSHOTS_DIR",
        "PYTHON",
        "SANDBOX_CANARY",
    }
)

#: Settings an older version read, and what replaced them.
REPLACED = {
    f"{PREFIX}ALLOW_REGISTRATION": f"set {PREFIX}REGISTRATION_MODE (open, invite or closed; "
    "invite when unset)",
}


def unknown_variables(env: Mapping[str, str]) -> list[str]:
    """A line for each ``STREAMSTACK_*`` variable in ``env`` that nothing reads (a
    misspelled setting keeps its default silently), with the setting it may have meant."""
    known = [PREFIX + field.name.upper() for field in dataclasses.fields(Settings)]
    others = {PREFIX + name for name in NOT_SETTINGS}
    lines = []
    for name in sorted(env):
        if not name.startswith(PREFIX) or name in known or name in others:
            continue
        if name.startswith(f"{PREFIX}TEST_"):
            continue
        if name in REPLACED:
            lines.append(f"{name} is no longer read: {REPLACED[name]}")
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
        meant = f"; did you mean {close[0]}?" if close else ""
        lines.append(f"{name} is not a setting and is ignored{meant}")
    return lines


def validate(settings: Settings) -> Settings:
    """Check the rules across fields of converted settings; errors name the variable.

    Each field's own constraints are checked by :func:`_converted`, which built them.
    """
    unknown = [m for m in settings.modules if m not in MODULE_NAMES]
    if unknown or not settings.modules:
        raise SettingsError(
            f"{PREFIX}MODULES: unknown module {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(MODULE_NAMES)}"
        )
    if len(set(settings.modules)) != len(settings.modules):
        raise SettingsError(f"{PREFIX}MODULES: a module is listed twice")
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
    _check_mail(settings)
    _check_embed_ancestors(settings.embed_ancestors)
    if settings.argon2_memory_kib < 8 * settings.argon2_parallelism:
        raise SettingsError(f"{PREFIX}ARGON2_MEMORY_KIB: must be at least 8 x ARGON2_PARALLELISM")
    if settings.environment == "production" and len(settings.internal_secret) < 16:
        raise SettingsError(
            f"{PREFIX}INTERNAL_SECRET: set a shared secret of 16+ characters in production"
        )
    return settings


#: One CSP frame-ancestors source: *, 'self', 'none', a scheme (https:) or a host source
#: (https://club.example, https://*.school.example:8443); nothing that ends the header's
#: directive (;) or adds another policy (,).
_ANCESTOR = re.compile(
    r"\*|'self'|'none'|[a-z][a-z0-9+.-]*:"
    r"|(?:[a-z][a-z0-9+.-]*://)?(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::(?:[0-9]{1,5}|\*))?"
)


def _check_embed_ancestors(value: str) -> None:
    """EMBED_ANCESTORS: one or more frame-ancestors sources, 'none' alone."""
    sources = value.split()
    bad = [source for source in sources if not _ANCESTOR.fullmatch(source)]
    if not sources or bad or ("'none'" in sources and len(sources) > 1):
        shown = ", ".join(bad) or repr(value)
        raise SettingsError(
            f"{PREFIX}EMBED_ANCESTORS: {shown} is not a list of sites that may frame the "
            "embed page (*, 'self', 'none' alone, or origins such as https://club.example)"
        )


def _check_mail(settings: Settings) -> None:
    """The SMTP URL's form, and the public origin the links of its mails need."""
    if settings.smtp_url:
        _check_url("SMTP_URL", settings.smtp_url, ("smtp", "smtps"))
        if not settings.public_url:
            raise SettingsError(
                f"{PREFIX}PUBLIC_URL: set the https:// address viewers open (links in mail "
                "point there) when SMTP_URL is set"
            )
    if settings.public_url:
        _check_url("PUBLIC_URL", settings.public_url, ("http", "https"))
        parts = urlsplit(settings.public_url)
        if parts.path.strip("/") or parts.query or parts.fragment:
            raise SettingsError(f"{PREFIX}PUBLIC_URL: give the origin only, as https://host[:port]")
        if settings.environment == "production" and parts.scheme != "https":
            raise SettingsError(f"{PREFIX}PUBLIC_URL: must start with https:// in production")


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
    # Errors quote the URL without its password: they end up in container logs.
    shown = repr(_without_password(url))
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise SettingsError(f"{PREFIX}{name}: malformed URL {shown} ({exc})") from None
    if parts.scheme not in schemes:
        raise SettingsError(
            f"{PREFIX}{name}: {shown} must start with one of {', '.join(s + '://' for s in schemes)}"
        )
    if parts.scheme.startswith("sqlite"):
        return
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise SettingsError(f"{PREFIX}{name}: malformed port in {shown}") from None
    if not parts.hostname and "host=" not in parts.query:
        raise SettingsError(f"{PREFIX}{name}: {shown} has no host")


def _without_password(url: str) -> str:
    """``url`` with the password of its user part (``user:secret@``) as ``***``."""
    return re.sub(r"(?<=://)([^/@:]*):[^/@]*@", r"\1:***@", url)


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _text_value(raw: str, default: Any) -> Any:
    """A variable's text in the shape msgspec converts from, going by the field's default.

    A list default takes comma-separated items, a None default takes "" as unset, and a
    boolean also takes yes/on/no/off; everything else is converted by msgspec.
    """
    raw = raw.strip()
    if isinstance(default, tuple):
        return [item.strip() for item in raw.split(",") if item.strip()]
    if default is None and not raw:
        return None
    if isinstance(default, bool) and raw.lower() in _TRUE + _FALSE:
        return raw.lower() in _TRUE
    return raw


def _converted(values: Mapping[str, Any], env: Mapping[str, str] | None = None) -> Settings:
    """``Settings`` from ``values`` (text or typed), or a one-line error naming the variable."""
    try:
        return msgspec.convert(values, Settings, strict=False, dec_hook=_decode)
    except msgspec.ValidationError as exc:
        message, _, where = str(exc).rpartition(" - at `$.")
        name = where.rstrip("`").split(".")[0].split("[")[0]
        var = PREFIX + name.upper()
        choices = _CHOICES.get(name)
        reason = (
            f"expected one of {', '.join(c for c in choices if c)}"
            if choices
            else in_words(message)
        )
        shown = f"{env[var].strip()!r} is not valid" if env and var in env else "not valid"
        raise SettingsError(f"{var}: {shown} ({reason[:1].lower()}{reason[1:]})") from None


def _decode(kind: type, value: Any) -> Any:
    if kind is Path and isinstance(value, str | Path):
        return Path(value)
    raise NotImplementedError(f"no conversion to {kind}")


#: The allowed values of each choice setting, for error messages.
_CHOICES: dict[str, tuple[str, ...]] = {
    field.name: tuple(str(value) for value in field.type.values)
    for field in msgspec.inspect.type_info(Settings).fields  # type: ignore[attr-defined]
    if isinstance(field.type, msgspec.inspect.LiteralType)
} | {"log_level": LOG_LEVELS}
