"""The trail of refused attempts: one ``auth.*_refused`` warning and one count for each.

An operator (or fail2ban, CrowdSec, a Grafana panel) must tell which account is attacked
and from where without the reverse proxy's logs, and the lines must hold no password,
token, code or email. Lines are recorded by swapping the trail's logger (loggers are
cached once an app configured logging); counts are read from ``GET /metrics``.
"""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from auth_accounts import (
    API,
    PASSWORD,
    assert_error,
    bearer,
    login,
    new_email,
    register,
    signed_in,
    signed_in_admin,
)
from prometheus_client.parser import text_string_to_metric_families

from streamstack.auth import refusals
from streamstack.settings import Settings
from support.apps import running_app, served_app

Lines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def refused_lines(monkeypatch: pytest.MonkeyPatch) -> Lines:
    """The trail's lines from now on: each as its fields, with ``event`` and ``level``."""
    recorder = structlog.testing.CapturingLogger()
    monkeypatch.setattr(refusals, "log", recorder)
    return lambda: [
        {"event": call.args[0], "level": call.method_name, **call.kwargs} for call in recorder.calls
    ]


async def refusal_counts(http: Any) -> dict[tuple[str, str], float]:
    """``streamstack_auth_refusals_total`` of ``GET /metrics``, by (attempt, reason)."""
    response = await http.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.labels["attempt"], sample.labels["reason"]): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if sample.name == "streamstack_auth_refusals_total"
    }


def assert_nothing_secret(lines: list[dict[str, Any]], *secrets: str) -> None:
    """No line, rendered as JSON, holds any of ``secrets`` (in any case)."""
    rendered = json.dumps(lines).lower()
    for secret in secrets:
        assert secret.lower() not in rendered, secret


async def test_seven_wrong_passwords_leave_a_line_and_a_count_each_naming_account_and_address(
    auth_settings: Settings, refused_lines: Lines
) -> None:
    """The operator's walk: 5 x 401 and 2 x 429 for one account, from behind the proxy."""
    attacker = {"X-Forwarded-For": "203.0.113.7"}
    async with served_app(auth_settings) as url, httpx.AsyncClient(base_url=url) as http:
        email = new_email("victim")
        created = await http.post(f"{API}/register", json={"email": email, "password": PASSWORD})
        user_id = created.json()["id"]
        before = await refusal_counts(http)
        statuses = []
        for _ in range(7):
            answer = await http.post(
                f"{API}/login",
                json={"email": email, "password": "not the password 1"},
                headers=attacker,
            )
            statuses.append(answer.status_code)
        after = await refusal_counts(http)
    assert statuses == [401] * 5 + [429] * 2
    lines = refused_lines()
    assert [(line["event"], line["level"]) for line in lines] == [
        ("auth.signin_refused", "warning")
    ] * 7
    assert [line["reason"] for line in lines] == ["wrong_password"] * 5 + [
        "throttled_account_address"
    ] * 2
    assert {line["address"] for line in lines} == {"203.0.113.7"}
    # The throttled lines (no account read) share the tag of the ones that name the user.
    assert [line.get("user_id") for line in lines] == [user_id] * 5 + [None] * 2
    assert len({line["account_tag"] for line in lines}) == 1
    assert_nothing_secret(lines, email, "not the password 1")

    def delta(reason: str) -> float:
        key = ("signin", reason)
        return after[key] - before.get(key, 0.0)

    assert delta("wrong_password") == 5
    assert delta("throttled_account_address") == 2
    assert delta("unknown_account") == 0  # every reason is exported from the start


async def test_an_unknown_email_is_logged_only_as_its_keyed_tag(
    auth_settings: Settings, refused_lines: Lines
) -> None:
    async with running_app(auth_settings) as client:
        nobody, other = new_email("nobody"), new_email("other")
        for who in (nobody, nobody, other):
            assert_error(await login(client, who, "wrong password!"), 401, "invalid_credentials")
        # An attacker's string, made to forge a line in a log read as text.
        forged = 'x"}\n{"event": "login"}@example.test'
        assert_error(await login(client, forged, "wrong password!"), 400)
    lines = refused_lines()
    assert [line["reason"] for line in lines] == ["unknown_account"] * 3
    assert all("user_id" not in line for line in lines)
    tags = [line["account_tag"] for line in lines]
    assert tags[0] == tags[1] != tags[2]
    assert all(len(tag) == 16 for tag in tags)
    assert_nothing_secret(lines, nobody, other, "example.test", "wrong password!")


async def test_a_disabled_account_and_a_locked_address_have_reasons_of_their_own(
    auth_settings_factory: Callable[..., Settings], refused_lines: Lines
) -> None:
    settings = auth_settings_factory(login_throttle_address_attempts=2)
    async with running_app(settings) as client:
        _, admin = await signed_in_admin(client, settings)
        user = await register(client)
        disabled = await client.post(
            f"{API}/users/{user['id']}/disable", headers=bearer(admin["access_token"])
        )
        assert disabled.status_code == 200
        assert_error(await login(client, user["email"]), 403, "account_disabled")
        assert_error(await login(client, new_email(), "wrong password!"), 401)
        throttled = await login(client, new_email(), "wrong password!")
        assert_error(throttled, 429, "login_throttled")
    reasons = [(line["reason"], line.get("user_id")) for line in refused_lines()]
    assert reasons == [
        ("account_disabled", user["id"]),
        ("unknown_account", None),
        ("throttled_address", None),
    ]
    assert_nothing_secret(refused_lines(), user["email"], PASSWORD)


async def test_a_wrong_current_password_of_a_signed_in_user_is_refused_on_the_trail(
    auth_settings: Settings, refused_lines: Lines
) -> None:
    """A stolen access token guessing the password (to change it, or delete the account)."""
    async with running_app(auth_settings) as client:
        email, pair = await signed_in(client)
        me = (await client.get(f"{API}/me", headers=bearer(pair["access_token"]))).json()
        change = {"current_password": "a wrong guess 123", "new_password": "another long one 9"}
        answer = await client.post(
            f"{API}/password", json=change, headers=bearer(pair["access_token"])
        )
        assert_error(answer, 403, "wrong_password")
    lines = refused_lines()
    assert [(line["event"], line["reason"], line["user_id"]) for line in lines] == [
        ("auth.password_check_refused", "wrong_password", me["id"])
    ]
    assert_nothing_secret(lines, email, "a wrong guess 123", "another long one 9")


async def test_a_reused_refresh_token_is_refused_on_the_trail_with_its_session(
    auth_settings: Settings, refused_lines: Lines
) -> None:
    """Theft detection: the session ends, and the operator sees whose and from where."""
    async with running_app(auth_settings) as client:
        email, first = await signed_in(client)
        user_id = (await client.get(f"{API}/me", headers=bearer(first["access_token"]))).json()
        before = await refusal_counts(client)
        token = first["refresh_token"]
        rotated = await client.post(f"{API}/refresh", json={"refresh_token": token})
        assert rotated.status_code == 200
        reused = await client.post(f"{API}/refresh", json={"refresh_token": token})
        assert_error(reused, 401, "refresh_token_reused")
        after = await refusal_counts(client)
    lines = refused_lines()
    assert len(lines) == 1
    line = lines[0]
    assert (line["event"], line["reason"]) == ("auth.refresh_refused", "refresh_token_reused")
    assert line["user_id"] == user_id["id"]
    assert line["session_id"] and line["address"]
    key = ("refresh", "refresh_token_reused")
    assert after[key] == before[key] + 1
    new_pair = rotated.json()
    assert_nothing_secret(
        lines, email, token, new_pair["refresh_token"], new_pair["access_token"], PASSWORD
    )


async def test_wrong_reset_and_invite_codes_and_their_throttles_are_refused_on_the_trail(
    auth_settings_factory: Callable[..., Settings], refused_lines: Lines
) -> None:
    settings = auth_settings_factory(registration_mode="invite", registration_address_attempts=2)
    reset_code, invite_code = "a-guessed-reset-code-0123", "a-guessed-invite-code-4567"
    check = {"code": reset_code}
    reset = {**check, "new_password": PASSWORD}
    email = new_email("newcomer")
    registration = {"email": email, "password": PASSWORD, "invite_code": invite_code}
    tries = [("/password-reset/check", check)] * 2 + [("/password-reset", reset)]
    tries += [("/register", registration)] * 3
    async with running_app(settings) as client:
        answers = [await client.post(f"{API}{path}", json=body) for path, body in tries]
    codes = [answer.json()["code"] for answer in answers]
    # What the client is told is as before: one code per case, whatever the log says.
    assert codes == ["invalid_reset_code"] * 2 + ["reset_throttled"] + ["invalid_invite"] * 2 + [
        "registration_throttled"
    ]
    lines = refused_lines()
    assert [(line["event"], line["reason"]) for line in lines] == [
        ("auth.password_reset_refused", "invalid_reset_code"),
        ("auth.password_reset_refused", "invalid_reset_code"),
        ("auth.password_reset_refused", "throttled_address"),
        ("auth.registration_refused", "invalid_invite"),
        ("auth.registration_refused", "invalid_invite"),
        ("auth.registration_refused", "throttled_address"),
    ]
    assert all(line["address"] for line in lines)
    assert_nothing_secret(lines, reset_code, invite_code, email, PASSWORD)


def readme_failregex() -> re.Pattern[str]:
    """The README's fail2ban filter, its ``<HOST>`` made a group (fail2ban's own is an
    address pattern)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    found = re.search(r"`failregex = (.+)`", readme)
    assert found, "the README gives a fail2ban filter"
    return re.compile(found.group(1).replace("<HOST>", r'(?P<host>[^"]+)'))


async def test_a_refused_sign_in_is_one_json_line_the_readme_s_fail2ban_filter_reads(
    auth_settings_factory: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)  # where the app's logging is configured to write
    settings = auth_settings_factory(log_format="json", log_level="WARNING")
    async with served_app(settings) as url, httpx.AsyncClient(base_url=url) as http:
        # A logger of the configuration just made (a module's is cached at its first use).
        monkeypatch.setattr(refusals, "log", structlog.get_logger(refusals.__name__))
        email = new_email("victim")
        await http.post(f"{API}/register", json={"email": email, "password": PASSWORD})
        answer = await http.post(
            f"{API}/login",
            json={"email": email, "password": "not the password 2"},
            headers={"X-Forwarded-For": "198.51.100.23", "X-Request-ID": "walk-1"},
        )
    assert answer.status_code == 401
    refused = [line for line in stderr.getvalue().splitlines() if "_refused" in line]
    assert len(refused) == 1
    fields = json.loads(refused[0])
    assert fields["event"] == "auth.signin_refused" and fields["level"] == "warning"
    assert fields["request_id"] == "walk-1"  # the line and the access line go together
    matched = readme_failregex().search(refused[0])
    assert matched and matched.group("host") == "198.51.100.23"
    assert_nothing_secret([fields], email, "not the password 2")
