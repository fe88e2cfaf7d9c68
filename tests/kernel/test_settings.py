"""Settings come from STREAMSTACK_* variables and fail early, naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamstack.cli.commands import load_settings
from streamstack.settings import MODULE_NAMES, Settings, SettingsError, unknown_variables


def test_defaults_run_all_modules_on_embedded_backends() -> None:
    settings = Settings.from_env({})
    assert settings.modules == MODULE_NAMES
    assert settings.data_dir == Path(".streamstack")
    assert settings.effective_database_url.startswith("sqlite+aiosqlite:///")
    assert settings.effective_database_url.endswith(".streamstack/streamstack.sqlite3")
    assert settings.nats_url == ""
    assert settings.s3_endpoint_url == ""
    assert (settings.media_bucket, settings.thumbnails_bucket) == ("media", "thumbnails")
    # An account watches every published video: none is made without an admin's invite.
    assert settings.registration_mode == "invite"


def test_values_are_parsed_and_typed() -> None:
    settings = Settings.from_env(
        {
            "STREAMSTACK_MODULES": "catalogue, streaming",
            "STREAMSTACK_PORT": "9000",
            "STREAMSTACK_DATA_DIR": "/var/lib/ss",
            "STREAMSTACK_DATABASE_URL": "postgresql+asyncpg://u:p@db:5432/ss",
            "STREAMSTACK_NATS_URL": "nats://nats:4222",
            "STREAMSTACK_S3_ENDPOINT_URL": "http://minio:9000",
            "STREAMSTACK_REGISTRATION_MODE": "open",
            "STREAMSTACK_S3_TIMEOUT_SECONDS": "2.5",
            "STREAMSTACK_NATS_TIMEOUT_SECONDS": "7.5",
            "STREAMSTACK_STREAMING_DELIVERY": "nginx",
            "STREAMSTACK_AUTH_URL": "http://auth:8000",
        }
    )
    assert settings.modules == ("catalogue", "streaming")
    assert settings.port == 9000
    assert settings.data_dir == Path("/var/lib/ss")
    assert settings.effective_database_url == "postgresql+asyncpg://u:p@db:5432/ss"
    assert settings.registration_mode == "open"
    assert settings.s3_timeout_seconds == 2.5
    assert settings.nats_timeout_seconds == 7.5
    assert settings.streaming_delivery == "nginx"
    assert settings.module_url("auth") == "http://auth:8000"


def test_overrides_from_flags_win_over_the_environment() -> None:
    settings = Settings.from_env({"STREAMSTACK_PORT": "9000"}, port=8001, host=None)
    assert settings.port == 8001
    assert settings.host == "127.0.0.1"


def test_production_logs_json_by_default() -> None:
    env = {"STREAMSTACK_ENVIRONMENT": "production", "STREAMSTACK_INTERNAL_SECRET": "x" * 32}
    assert Settings.from_env(env).log_format == "json"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"STREAMSTACK_MODULES": "auth,billing"}, "STREAMSTACK_MODULES"),
        ({"STREAMSTACK_MODULES": ","}, "STREAMSTACK_MODULES"),
        ({"STREAMSTACK_MODULES": "auth,auth"}, "STREAMSTACK_MODULES"),
        ({"STREAMSTACK_PORT": "eighty"}, "STREAMSTACK_PORT"),
        ({"STREAMSTACK_PORT": "70000"}, "STREAMSTACK_PORT"),
        ({"STREAMSTACK_DATABASE_URL": "mysql://x/y"}, "STREAMSTACK_DATABASE_URL"),
        (
            {"STREAMSTACK_DATABASE_URL": "postgresql+asyncpg://h:99999999/db"},
            "STREAMSTACK_DATABASE_URL",
        ),
        ({"STREAMSTACK_NATS_URL": "http://nats:4222"}, "STREAMSTACK_NATS_URL"),
        ({"STREAMSTACK_NATS_URL": "nats://"}, "STREAMSTACK_NATS_URL"),
        ({"STREAMSTACK_S3_ENDPOINT_URL": "minio:9000"}, "STREAMSTACK_S3_ENDPOINT_URL"),
        ({"STREAMSTACK_CATALOGUE_URL": "ftp://c"}, "STREAMSTACK_CATALOGUE_URL"),
        ({"STREAMSTACK_SECURE_COOKIES": "maybe"}, "STREAMSTACK_SECURE_COOKIES"),
        ({"STREAMSTACK_STREAMING_DELIVERY": "cdn"}, "STREAMSTACK_STREAMING_DELIVERY"),
        ({"STREAMSTACK_MEDIA_BUCKET": "a/b"}, "STREAMSTACK_MEDIA_BUCKET"),
        ({"STREAMSTACK_STREAM_CHUNK_BYTES": "1024"}, "STREAMSTACK_STREAM_CHUNK_BYTES"),
        ({"STREAMSTACK_S3_POOL_SIZE": "0"}, "STREAMSTACK_S3_POOL_SIZE"),
        ({"STREAMSTACK_ENVIRONMENT": "production"}, "STREAMSTACK_INTERNAL_SECRET"),
        ({"STREAMSTACK_ENVIRONMENT": "staging"}, "STREAMSTACK_ENVIRONMENT"),
        ({"STREAMSTACK_INTERNAL_TIMEOUT_SECONDS": "0"}, "STREAMSTACK_INTERNAL_TIMEOUT_SECONDS"),
        ({"STREAMSTACK_NATS_TIMEOUT_SECONDS": "0"}, "STREAMSTACK_NATS_TIMEOUT_SECONDS"),
        ({"STREAMSTACK_NATS_TIMEOUT_SECONDS": "-2"}, "STREAMSTACK_NATS_TIMEOUT_SECONDS"),
        ({"STREAMSTACK_NATS_TIMEOUT_SECONDS": "soon"}, "STREAMSTACK_NATS_TIMEOUT_SECONDS"),
        ({"STREAMSTACK_REFRESH_GRACE_SECONDS": "61"}, "STREAMSTACK_REFRESH_GRACE_SECONDS"),
        # Longer than a revoked token's id is kept on the revocation list (7 days).
        (
            {"STREAMSTACK_ACCESS_TOKEN_TTL_SECONDS": "604801"},
            "STREAMSTACK_ACCESS_TOKEN_TTL_SECONDS",
        ),
        ({"STREAMSTACK_REGISTRATION_MODE": "anyone"}, "STREAMSTACK_REGISTRATION_MODE"),
        ({"STREAMSTACK_JOBS_MAX_DELIVER": "-1"}, "STREAMSTACK_JOBS_MAX_DELIVER"),
    ],
)
def test_bad_settings_fail_naming_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env(env)
    assert str(info.value).startswith(named)
    assert "\n" not in str(info.value)


def test_inter_module_calls_have_their_own_timeout() -> None:
    settings = Settings.from_env({"STREAMSTACK_INTERNAL_TIMEOUT_SECONDS": "2.5"})
    assert settings.internal_timeout_seconds == 2.5
    assert settings.s3_timeout_seconds == 10.0


def test_text_forms_of_lists_booleans_and_unset_paths() -> None:
    settings = Settings.from_env(
        {
            "STREAMSTACK_MODULES": " auth , ingest ,",
            "STREAMSTACK_SECURE_COOKIES": "Yes",
            "STREAMSTACK_REQUEST_OBSERVABILITY": "off",
            "STREAMSTACK_JWT_PUBLIC_KEY_PATH": "",
            "STREAMSTACK_WEB_DIST_DIR": "/srv/web",
        }
    )
    assert settings.modules == ("auth", "ingest")
    assert settings.secure_cookies is True
    assert settings.request_observability is False
    assert settings.jwt_public_key_path is None
    assert settings.web_dist_dir == Path("/srv/web")


def test_choice_errors_list_the_choices() -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env({"STREAMSTACK_STREAMING_DELIVERY": "cdn"})
    assert str(info.value) == (
        "STREAMSTACK_STREAMING_DELIVERY: 'cdn' is not valid (expected one of nginx, proxy)"
    )


def test_a_log_level_is_one_of_the_levels_in_any_case() -> None:
    # A misspelt level started the service at INFO without a word.
    with pytest.raises(SettingsError) as info:
        Settings.from_env({"STREAMSTACK_LOG_LEVEL": "LOUD"})
    assert str(info.value) == (
        "STREAMSTACK_LOG_LEVEL: 'LOUD' is not valid "
        "(expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL)"
    )
    assert Settings.from_env({"STREAMSTACK_LOG_LEVEL": "debug"}).log_level == "debug"


def test_replaced_values_are_checked_by_the_same_rules() -> None:
    with pytest.raises(SettingsError, match=r"^STREAMSTACK_PORT: "):
        Settings().replace(port=70000)
    with pytest.raises(SettingsError, match=r"^STREAMSTACK_STREAM_CHUNK_BYTES: "):
        Settings().replace(stream_chunk_bytes=1024)
    assert Settings().replace(port="8080").port == 8080


def test_a_url_error_never_shows_the_password() -> None:
    # The likeliest mistake (a URL copied from a Postgres host) must not print its secret.
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"STREAMSTACK_DATABASE_URL": "postgres://user:TopSecretPw@db:5432/ss"})
    message = str(caught.value)
    assert "TopSecretPw" not in message
    assert "'postgres://user:***@db:5432/ss' must start with one of" in message


def test_a_misspelled_variable_is_named_with_the_setting_it_may_mean(
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = {
        "STREAMSTACK_DATABSE_URL": "sqlite+aiosqlite:///x.db",
        "STREAMSTACK_LOGLEVEL": "DEBUG",
        # Read by an older version: what replaced it is named.
        "STREAMSTACK_ALLOW_REGISTRATION": "true",
        "STREAMSTACK_PORT": "9000",  # a setting
        "STREAMSTACK_SERVER": "http://h:8000",  # the CLI's own
        "STREAMSTACK_TEST_NATS_URL": "nats://h",  # the tests'
        "HOME": "/root",
    }
    assert unknown_variables(env) == [
        "STREAMSTACK_ALLOW_REGISTRATION is no longer read: set STREAMSTACK_REGISTRATION_MODE "
        "(open, invite or closed; invite when unset)",
        "STREAMSTACK_DATABSE_URL is not a setting and is ignored; "
        "did you mean STREAMSTACK_DATABASE_URL?",
        "STREAMSTACK_LOGLEVEL is not a setting and is ignored; did you mean STREAMSTACK_LOG_LEVEL?",
    ]
    # The commands say so when they read their settings, and go on.
    assert load_settings(env).port == 9000
    warned = capsys.readouterr().err.splitlines()
    assert warned == [f"streamstack: warning: {line}" for line in unknown_variables(env)]


def test_mail_needs_the_public_origin_its_links_point_at() -> None:
    smtp = {"STREAMSTACK_SMTP_URL": "smtp://u:Secret9@mail.example.org:587"}
    with pytest.raises(SettingsError, match=r"^STREAMSTACK_PUBLIC_URL: set the https://"):
        Settings.from_env(smtp)
    public = {"STREAMSTACK_PUBLIC_URL": "https://video.example.org"}
    assert Settings.from_env(smtp | public).public_url == "https://video.example.org"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"STREAMSTACK_SMTP_URL": "mail.example.org"}, "STREAMSTACK_SMTP_URL: 'mail.example"),
        ({"STREAMSTACK_PUBLIC_URL": "https://v.example.org/app"}, "origin only"),
        ({"STREAMSTACK_PUBLIC_URL": "ftp://v.example.org"}, "must start with one of"),
        (
            {
                "STREAMSTACK_ENVIRONMENT": "production",
                "STREAMSTACK_INTERNAL_SECRET": "x" * 16,
                "STREAMSTACK_PUBLIC_URL": "http://v.example.org",
            },
            "https:// in production",
        ),
    ],
)
def test_mail_settings_are_checked(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_the_sites_that_may_frame_the_embed_page() -> None:
    assert Settings.from_env({}).embed_ancestors == "*"
    listed = "https://club.example https://*.school.example:8443 'self'"
    assert Settings.from_env({"STREAMSTACK_EMBED_ANCESTORS": listed}).embed_ancestors == listed
    assert Settings.from_env({"STREAMSTACK_EMBED_ANCESTORS": "'none'"}).embed_ancestors


@pytest.mark.parametrize(
    "value",
    [
        "",
        "https://a.example; script-src *",  # a second directive
        "https://a.example, frame-ancestors *",  # a second policy
        "'none' https://a.example",
        "https://a.example/page?x=1",
        "'unsafe-inline'",
    ],
)
def test_embed_ancestors_that_are_no_list_of_sites_are_refused(value: str) -> None:
    with pytest.raises(SettingsError, match=r"^STREAMSTACK_EMBED_ANCESTORS: "):
        Settings.from_env({"STREAMSTACK_EMBED_ANCESTORS": value})


def test_the_site_name_is_the_servers_name_trimmed() -> None:
    assert Settings.from_env({}).site_name == "StreamStack"
    named = Settings.from_env({"STREAMSTACK_SITE_NAME": "  Herons Film Club \n"})
    assert named.site_name == "Herons Film Club"
    assert Settings.from_env({"STREAMSTACK_SITE_NAME": "Ü" * 60}).site_name == "Ü" * 60


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("Herons\nFilm Club", "a name on one line"),  # would split a mail's header
        ("Herons\r\nBcc: x@example.org", "a name on one line"),
        ("Herons\u2028Film", "a name on one line"),
        ("Herons\x00", "a name on one line"),
        ("x" * 61, "length <= 60"),
        ("   ", "length >= 1"),
    ],
)
def test_a_site_name_on_more_than_one_line_or_too_long_is_refused(value: str, reason: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env({"STREAMSTACK_SITE_NAME": value})
    message = str(info.value)
    assert message.startswith("STREAMSTACK_SITE_NAME: ")
    assert reason in message
    assert "\n" not in message
    with pytest.raises(SettingsError, match=r"^STREAMSTACK_SITE_NAME: not valid"):
        Settings.from_env({}).replace(site_name=" Herons")
