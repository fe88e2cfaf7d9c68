"""Two-factor authentication (TOTP, RFC 6238): setting it up, signing in with a code from
the authenticator app or a recovery code, turning it off, new recovery codes, and an
admin turning it off for a user who lost their phone.

The app runs on a held clock, so a test moves time from one 30 s step to the next instead
of sleeping, and computes the app's codes for the time it holds.
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.parse
from collections.abc import AsyncIterator
from typing import Any

import pyotp
import pytest
import structlog
from auth_accounts import (
    API,
    PASSWORD,
    admin_token,
    assert_error,
    assert_signed_out,
    bearer,
    login,
    read_behind,
    signed_in,
)

from streamstack.auth import refusals
from streamstack.auth import service as auth_service
from support.apps import running_app
from support.clock import HeldClock

TWO_FACTOR = f"{API}/me/two-factor"
RECOVERY_CODE = re.compile(r"^[a-hjkmnp-z2-9]{5}-[a-hjkmnp-z2-9]{5}$")


@pytest.fixture
def clock() -> HeldClock:
    """The app's time, at the start of a 30 s step so a step's codes last the test's steps."""
    held = HeldClock()
    held.now = held.now.replace(second=0, microsecond=0)
    return held


@pytest.fixture
async def client(auth_settings, clock) -> AsyncIterator[Any]:
    """The auth module on this test's backends, reading the time from ``clock``."""
    async with running_app(auth_settings, clock=clock) as test_client:
        yield test_client


@pytest.fixture
def logged(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The auth service's and the refusal trail's lines from now on, each as its fields."""
    recorder = structlog.testing.CapturingLogger()
    monkeypatch.setattr(auth_service, "log", recorder)
    monkeypatch.setattr(refusals, "log", recorder)
    return lambda: [{"event": call.args[0], **call.kwargs} for call in recorder.calls]


def app_code(secret: str, clock: HeldClock, steps: int = 0) -> str:
    """The code the authenticator app shows ``steps`` time steps from the clock's."""
    return pyotp.TOTP(secret).at(clock.now, counter_offset=steps)


async def with_two_factor(client: Any, clock: HeldClock) -> tuple[str, str, list[str]]:
    """A new account with two-factor on: its email, secret and recovery codes (the code
    that turned it on is of the clock's step, which is then used)."""
    email, pair = await signed_in(client)
    headers = bearer(pair["access_token"])
    setup = await client.post(f"{TWO_FACTOR}/setup", json={"password": PASSWORD}, headers=headers)
    assert setup.status_code == 201, setup.text
    secret = setup.json()["secret"]
    enabled = await client.post(
        f"{TWO_FACTOR}/enable", json={"code": app_code(secret, clock)}, headers=headers
    )
    assert enabled.status_code == 200, enabled.text
    return email, secret, enabled.json()["codes"]


async def login_code(client: Any, email: str, code: Any, password: str = PASSWORD) -> Any:
    """POST /login with a code."""
    return await client.post(
        f"{API}/login", json={"email": email, "password": password, "code": code}
    )


async def status_of(client: Any, email: str, code: str) -> dict[str, Any]:
    """The two-factor status of the account, signed in with ``code``."""
    response = await login_code(client, email, code)
    assert response.status_code == 200, response.text
    answer = await client.get(TWO_FACTOR, headers=bearer(response.json()["access_token"]))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_authenticator_apps_list_the_account_under_the_servers_name(
    auth_settings_factory, clock
):
    settings = auth_settings_factory(site_name="Herons: Film & Club")
    async with running_app(settings, clock=clock) as client:
        email, pair = await signed_in(client)
        setup = await client.post(
            f"{TWO_FACTOR}/setup", json={"password": PASSWORD}, headers=bearer(pair["access_token"])
        )
        assert setup.status_code == 201, setup.text
    uri = setup.json()["otpauth_uri"]
    parsed = urllib.parse.urlsplit(uri)
    # The colon and the ampersand in the name are encoded: neither ends the issuer early.
    assert parsed.path == f"/Herons%3A%20Film%20%26%20Club:{urllib.parse.quote(email)}"
    assert urllib.parse.parse_qs(parsed.query)["issuer"] == ["Herons: Film & Club"]
    parsed_totp = pyotp.parse_uri(uri)
    assert (parsed_totp.issuer, parsed_totp.name) == ("Herons: Film & Club", email)


async def test_setting_up_changes_sign_in_only_once_a_code_confirms_it(client, clock):
    email, pair = await signed_in(client)
    headers = bearer(pair["access_token"])
    off = (await client.get(TWO_FACTOR, headers=headers)).json()
    assert off == {"enabled": False, "enabled_at": None, "recovery_codes_left": 0}
    setup = await client.post(f"{TWO_FACTOR}/setup", json={"password": PASSWORD}, headers=headers)
    assert setup.status_code == 201, setup.text
    assert setup.headers["cache-control"] == "no-store"
    secret = setup.json()["secret"]
    assert setup.json()["otpauth_uri"] == (
        f"otpauth://totp/StreamStack:{urllib.parse.quote(email)}?secret={secret}&issuer=StreamStack"
    )
    # Pending: sign-in is as before, and the status still says off.
    assert (await login(client, email)).status_code == 200
    assert (await client.get(TWO_FACTOR, headers=headers)).json()["enabled"] is False
    enabled = await client.post(
        f"{TWO_FACTOR}/enable", json={"code": app_code(secret, clock)}, headers=headers
    )
    assert enabled.status_code == 200, enabled.text
    codes = enabled.json()["codes"]
    assert len(codes) == len(set(codes)) == 10
    assert all(RECOVERY_CODE.match(code) for code in codes), codes
    on = (await client.get(TWO_FACTOR, headers=headers)).json()
    assert on["enabled"] is True and on["recovery_codes_left"] == 10
    assert on["enabled_at"] is not None
    assert (await client.get(f"{API}/me", headers=headers)).json()["two_factor"] is True
    # From now on the password alone is not enough.
    assert_error(await login(client, email), 401, "two_factor_required")


async def test_turning_it_on_signs_out_the_other_sessions_only(client, clock):
    # Turned on for fear the password leaked: an intruder's session ends with it.
    email, mine = await signed_in(client)
    _, other = await signed_in(client, email)
    _, stranger = await signed_in(client)
    headers = bearer(mine["access_token"])
    setup = await client.post(f"{TWO_FACTOR}/setup", json={"password": PASSWORD}, headers=headers)
    assert setup.status_code == 201, setup.text
    code = app_code(setup.json()["secret"], clock)
    enabled = await client.post(f"{TWO_FACTOR}/enable", json={"code": code}, headers=headers)
    assert enabled.status_code == 200, enabled.text
    await assert_signed_out(client, other)
    assert (await client.get(f"{API}/me", headers=headers)).status_code == 200
    again = await client.post(f"{API}/refresh", json={"refresh_token": mine["refresh_token"]})
    assert again.status_code == 200, again.text
    me = await client.get(f"{API}/me", headers=bearer(stranger["access_token"]))
    assert me.status_code == 200  # another account is untouched


async def test_a_code_signs_in_once_within_its_step_and_one_either_side(client, clock):
    email, secret, _ = await with_two_factor(client, clock)
    # The code that turned it on is used: it does not sign in.
    assert_error(await login_code(client, email, app_code(secret, clock)), 401, "invalid_code")
    clock.advance(30)
    code = app_code(secret, clock)
    assert (await login_code(client, email, f"{code[:3]} {code[3:]}")).status_code == 200
    assert_error(await login_code(client, email, code), 401, "invalid_code")  # replayed
    # The next step's code (a phone's clock ahead) signs in; then the current one is old.
    ahead = await login_code(client, email, app_code(secret, clock, 1))
    assert ahead.status_code == 200, ahead.text
    clock.advance(90)
    assert_error(await login_code(client, email, app_code(secret, clock, -2)), 401, "invalid_code")
    assert (await login_code(client, email, app_code(secret, clock, -1))).status_code == 200
    # A right code with a wrong password is a wrong password.
    clock.advance(30)
    wrong = await login_code(client, email, app_code(secret, clock), password="not the password")
    assert_error(wrong, 401, "invalid_credentials")


async def test_a_recovery_code_signs_in_once(client, clock):
    email, _, codes = await with_two_factor(client, clock)
    # Typed in capitals without its dash, it is the same code.
    response = await login_code(client, email, codes[0].upper().replace("-", ""))
    assert response.status_code == 200, response.text
    assert_error(await login_code(client, email, codes[0]), 401, "invalid_code")
    assert (await status_of(client, email, codes[1]))["recovery_codes_left"] == 8


async def test_wrong_codes_count_against_the_sign_in_throttle(client, clock):
    email, secret, codes = await with_two_factor(client, clock)
    # Five attempts are free: the sixth is refused (the held clock does not move on).
    for guess in range(5):
        assert_error(await login_code(client, email, f"{guess:06d}x"), 401, "invalid_code")
    assert_error(
        await login_code(client, email, app_code(secret, clock, 1)), 429, "login_throttled"
    )
    assert_error(await login_code(client, email, codes[0]), 429, "login_throttled")


async def test_asking_for_the_code_leaves_no_attempt_at_the_address(auth_settings_factory, clock):
    # Three free attempts per address: the sign-ins of a school behind one address.
    settings = auth_settings_factory(login_throttle_address_attempts=3)
    async with running_app(settings, clock=clock) as client:
        email, secret, _ = await with_two_factor(client, clock)
        for _ in range(6):  # each as the SPA and the CLI make it: without the code, then with
            clock.advance(30)  # a new step: a new code
            assert_error(await login_code(client, email, None), 401, "two_factor_required")
            assert (await login_code(client, email, app_code(secret, clock))).status_code == 200
        # Guesses are still counted for this email from this address, the requests without
        # a code too: the sixth is refused, however the two are mixed.
        for code in (None, "000000", None, "000001", None):
            refusal = ("two_factor_required", "invalid_code")[code is not None]
            assert_error(await login_code(client, email, code), 401, refusal)
        assert_error(await login_code(client, email, "000002"), 429, "login_throttled")


async def test_an_account_without_two_factor_ignores_a_code(client):
    email, _ = await signed_in(client)
    assert (await login_code(client, email, "123456")).status_code == 200
    assert (await login_code(client, email, None)).status_code == 200


async def test_enabling_refuses_without_a_setup_a_stale_one_or_a_wrong_code(client, clock):
    _, pair = await signed_in(client)
    headers = bearer(pair["access_token"])
    enable = f"{TWO_FACTOR}/enable"
    not_set_up = await client.post(enable, json={"code": "123456"}, headers=headers)
    assert_error(not_set_up, 409, "two_factor_not_set_up")
    wrong = await client.post(f"{TWO_FACTOR}/setup", json={"password": "nope"}, headers=headers)
    assert_error(wrong, 403, "wrong_password")
    setup = await client.post(f"{TWO_FACTOR}/setup", json={"password": PASSWORD}, headers=headers)
    secret = setup.json()["secret"]
    assert_error(await client.post(enable, json={"code": "000000x"}, headers=headers), 403)
    bad_code = "000000" if app_code(secret, clock) != "000000" else "111111"
    assert_error(
        await client.post(enable, json={"code": bad_code}, headers=headers), 403, "invalid_code"
    )
    clock.advance(15 * 60)
    stale = await client.post(enable, json={"code": app_code(secret, clock)}, headers=headers)
    assert_error(stale, 409, "two_factor_not_set_up")
    # Started again: a new secret, and the old one's codes no longer confirm it.
    again = await client.post(f"{TWO_FACTOR}/setup", json={"password": PASSWORD}, headers=headers)
    new_secret = again.json()["secret"]
    assert new_secret != secret
    ok = await client.post(enable, json={"code": app_code(new_secret, clock)}, headers=headers)
    assert ok.status_code == 200, ok.text
    twice = await client.post(
        enable, json={"code": app_code(new_secret, clock, 1)}, headers=headers
    )
    assert_error(twice, 409, "two_factor_on")
    restart = await client.post(f"{TWO_FACTOR}/setup", json={"password": PASSWORD}, headers=headers)
    assert_error(restart, 409, "two_factor_on")


async def test_turning_off_needs_the_password_and_a_code(client, clock):
    email, secret, codes = await with_two_factor(client, clock)
    clock.advance(30)
    pair = (await login_code(client, email, app_code(secret, clock))).json()
    headers = bearer(pair["access_token"])
    disable = f"{TWO_FACTOR}/disable"
    clock.advance(30)
    code = app_code(secret, clock)
    wrong = await client.post(disable, json={"password": "nope", "code": code}, headers=headers)
    assert_error(wrong, 403, "wrong_password")
    bad = await client.post(
        disable, json={"password": PASSWORD, "code": codes[0] + "x"}, headers=headers
    )
    assert_error(bad, 403, "invalid_code")
    off = await client.post(disable, json={"password": PASSWORD, "code": code}, headers=headers)
    assert off.status_code == 204, off.text
    assert (await client.get(TWO_FACTOR, headers=headers)).json()["enabled"] is False
    assert (await login(client, email)).status_code == 200
    again = await client.post(disable, json={"password": PASSWORD, "code": code}, headers=headers)
    assert_error(again, 409, "two_factor_off")
    renew = await client.post(
        f"{TWO_FACTOR}/recovery-codes", json={"password": PASSWORD, "code": code}, headers=headers
    )
    assert_error(renew, 409, "two_factor_off")


async def test_new_recovery_codes_replace_the_old_ones(client, clock):
    email, _, old = await with_two_factor(client, clock)
    pair = (await login_code(client, email, old[0])).json()
    renew = await client.post(
        f"{TWO_FACTOR}/recovery-codes",
        json={"password": PASSWORD, "code": old[1]},
        headers=bearer(pair["access_token"]),
    )
    assert renew.status_code == 200, renew.text
    new = renew.json()["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert_error(await login_code(client, email, old[2]), 401, "invalid_code")
    assert (await status_of(client, email, new[0]))["recovery_codes_left"] == 9


async def test_an_admin_turns_off_a_users_two_factor(client, clock, auth_settings):
    email, _, codes = await with_two_factor(client, clock)
    pair = (await login_code(client, email, codes[0])).json()
    user_id = (await client.get(f"{API}/me", headers=bearer(pair["access_token"]))).json()["id"]
    path = f"{API}/users/{user_id}/two-factor"
    assert_error(await client.delete(path, headers=bearer(pair["access_token"])), 403)
    admin = bearer(await admin_token(client, auth_settings))
    listed = await client.get(f"{API}/users", params={"id": user_id}, headers=admin)
    assert listed.json()["items"][0]["two_factor"] is True
    assert (await client.delete(path, headers=admin)).status_code == 204
    assert (await login(client, email)).status_code == 200
    assert (await client.delete(path, headers=admin)).status_code == 204  # already off
    listed = await client.get(f"{API}/users", params={"id": user_id}, headers=admin)
    assert listed.json()["items"][0]["two_factor"] is False
    unknown = f"{API}/users/00000000-0000-0000-0000-000000000000/two-factor"
    assert_error(await client.delete(unknown, headers=admin), 404)


async def test_deleting_the_account_deletes_its_secret_and_codes(client, clock, auth_settings):
    email, _, codes = await with_two_factor(client, clock)
    pair = (await login_code(client, email, codes[0])).json()
    deleted = await client.post(
        f"{API}/me/delete", json={"password": PASSWORD}, headers=bearer(pair["access_token"])
    )
    assert deleted.status_code == 204, deleted.text
    assert await read_behind(auth_settings, "SELECT count(*) FROM auth_two_factor") == 0
    assert await read_behind(auth_settings, "SELECT count(*) FROM auth_recovery_codes") == 0


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/login", {"email": "a@example.test", "password": PASSWORD, "code": "1" * 33}),
        ("/login", {"email": "a@example.test", "password": PASSWORD, "code": 123456}),
        ("/me/two-factor/setup", {}),
        ("/me/two-factor/setup", {"password": PASSWORD, "secret": "AAAA"}),
        ("/me/two-factor/enable", {"code": ""}),
        ("/me/two-factor/enable", {"code": ["123456"]}),
        ("/me/two-factor/disable", {"password": PASSWORD}),
        ("/me/two-factor/recovery-codes", {"code": "123456"}),
    ],
)
async def test_malformed_bodies_are_refused_and_change_nothing(client, clock, path, body):
    email, pair = await signed_in(client)
    response = await client.post(f"{API}{path}", json=body, headers=bearer(pair["access_token"]))
    assert_error(response, 400)
    assert (await client.get(TWO_FACTOR, headers=bearer(pair["access_token"]))).json()[
        "enabled"
    ] is False
    assert (await login(client, email)).status_code == 200


async def test_one_code_sent_twice_at_once_signs_in_once(client, clock):
    email, secret, codes = await with_two_factor(client, clock)
    for code in (app_code(secret, clock, 1), codes[0]):
        answers = await asyncio.gather(*(login_code(client, email, code) for _ in range(2)))
        assert sorted(a.status_code for a in answers) == [200, 401], [a.text for a in answers]


async def test_password_guesses_at_setup_and_turning_off_are_throttled(client, clock):
    email, secret, _ = await with_two_factor(client, clock)
    pair = (await login_code(client, email, app_code(secret, clock, 1))).json()
    headers = bearer(pair["access_token"])
    proof = {"password": "not the password", "code": app_code(secret, clock, 1)}
    for _ in range(5):
        guess = await client.post(f"{TWO_FACTOR}/disable", json=proof, headers=headers)
        assert_error(guess, 403, "wrong_password")
    right = {"password": PASSWORD, "code": proof["code"]}
    for path in ("disable", "recovery-codes"):
        throttled = await client.post(f"{TWO_FACTOR}/{path}", json=right, headers=headers)
        assert_error(throttled, 429, "login_throttled")
    _, fresh = await signed_in(client)
    fresh_headers = bearer(fresh["access_token"])
    for _ in range(5):
        wrong = {"password": "not the password"}
        guess = await client.post(f"{TWO_FACTOR}/setup", json=wrong, headers=fresh_headers)
        assert_error(guess, 403, "wrong_password")
    setup = {"password": PASSWORD}
    throttled = await client.post(f"{TWO_FACTOR}/setup", json=setup, headers=fresh_headers)
    assert_error(throttled, 429, "login_throttled")


async def test_guesses_at_the_first_code_are_throttled(client, clock):
    # A stolen access token must not guess the six digits of a setup its owner left open
    # (and turn two-factor on with recovery codes of its own).
    email, pair = await signed_in(client)
    headers = bearer(pair["access_token"])
    setup = await client.post(f"{TWO_FACTOR}/setup", json={"password": PASSWORD}, headers=headers)
    secret = setup.json()["secret"]
    right = app_code(secret, clock)
    wrong = [f"{guess:06d}" for guess in range(7) if f"{guess:06d}" != right][:5]
    enable = f"{TWO_FACTOR}/enable"
    for guess in wrong:
        refused = await client.post(enable, json={"code": guess}, headers=headers)
        assert_error(refused, 403, "invalid_code")
    throttled = await client.post(enable, json={"code": right}, headers=headers)
    assert_error(throttled, 429, "login_throttled")
    assert (await client.get(TWO_FACTOR, headers=headers)).json()["enabled"] is False
    # The same counter as the sign-in's: the account's own password is refused too.
    assert_error(await login(client, email, PASSWORD), 429, "login_throttled")


async def test_enabling_with_nothing_to_confirm_counts_no_attempt(client, clock):
    # No code to guess (no setup, or two-factor on already): refused before it counts, so a
    # token's requests cannot lock its owner's sign-in out.
    email, pair = await signed_in(client)
    headers = bearer(pair["access_token"])
    enable = f"{TWO_FACTOR}/enable"
    for _ in range(7):
        refused = await client.post(enable, json={"code": "123456"}, headers=headers)
        assert_error(refused, 409, "two_factor_not_set_up")
    assert (await login(client, email)).status_code == 200
    on_email, secret, _ = await with_two_factor(client, clock)
    on_pair = (await login_code(client, on_email, app_code(secret, clock, 1))).json()
    for _ in range(7):
        refused = await client.post(
            enable, json={"code": "123456"}, headers=bearer(on_pair["access_token"])
        )
        assert_error(refused, 409, "two_factor_on")
    clock.advance(30)  # a step on: the code of the step after it is not used yet
    signed = await login_code(client, on_email, app_code(secret, clock, 1))
    assert signed.status_code == 200, signed.text


async def test_codes_and_admin_actions_are_logged_without_secrets(
    client, clock, auth_settings, logged
):
    email, secret, codes = await with_two_factor(client, clock)
    assert_error(await login_code(client, email, codes[0] + "x"), 401, "invalid_code")
    pair = (await login_code(client, email, codes[1])).json()
    user_id = (await client.get(f"{API}/me", headers=bearer(pair["access_token"]))).json()["id"]
    admin = await admin_token(client, auth_settings)
    response = await client.delete(f"{API}/users/{user_id}/two-factor", headers=bearer(admin))
    assert response.status_code == 204
    lines = logged()
    [refusal] = [line for line in lines if line["event"] == "auth.signin_refused"]
    assert (refusal["reason"], refusal["user_id"]) == ("invalid_code", user_id)
    [reset] = [line for line in lines if line["event"] == "two_factor_reset"]
    assert reset["user_id"] == user_id and reset["by"] not in (None, user_id)
    rendered = json.dumps(lines).lower()
    for secret_text in (secret, *codes):
        assert secret_text.lower() not in rendered
