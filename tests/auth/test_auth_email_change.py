"""Changing an account's sign-in email: by its owner (``POST /me/email``, with the current
password) or by an admin (``PATCH /users/{id}`` with ``email``).

Registration does not verify emails, so a typo used to be permanent. The new email is
normalised as at registration, must be no other account's (409 ``email_taken``), signs in
at once while the old one no longer does, and is what every view of the account shows.
Sessions stay signed in (no secret changed). The owner's change is a password check like a
sign-in, under the same throttle. Every test runs on both backend kinds.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import structlog
from auth_accounts import (
    API,
    PASSWORD,
    admin_token,
    assert_error,
    bearer,
    login,
    new_email,
    register,
    signed_in,
    signed_in_admin,
)
from jose import jwt

from streamstack.auth import service as auth_service
from support.apps import running_app

EMAIL = f"{API}/me/email"


def user_id_of(pair: dict[str, Any]) -> str:
    """The account id a token pair was issued to."""
    return str(jwt.get_unverified_claims(pair["access_token"])["sub"])


async def me(client: Any, pair: dict[str, Any]) -> dict[str, Any]:
    """``GET /me`` with ``pair``'s access token (asserting 200)."""
    response = await client.get(f"{API}/me", headers=bearer(pair["access_token"]))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def change_own(
    client: Any, pair: dict[str, Any], email: str, password: str = PASSWORD
) -> Any:
    """``POST /me/email`` as ``pair``'s account."""
    body = {"email": email, "current_password": password}
    return await client.post(EMAIL, json=body, headers=bearer(pair["access_token"]))


async def change_by_admin(client: Any, token: str, user_id: str, body: dict[str, Any]) -> Any:
    """``PATCH /users/{id}`` as the admin of ``token``."""
    return await client.patch(f"{API}/users/{user_id}", json=body, headers=bearer(token))


@pytest.fixture
def audit_lines(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The auth service's log lines from now on, each as its fields with ``event``."""
    recorder = structlog.testing.CapturingLogger()
    monkeypatch.setattr(auth_service, "log", recorder)
    return lambda: [{"event": call.args[0], **call.kwargs} for call in recorder.calls]


async def test_the_owner_changes_their_email_and_signs_in_with_it_at_once(client, audit_lines):
    old, pair = await signed_in(client)
    _, other_session = await signed_in(client, old)
    typed = "  Alice.Fixed@Example.TEST "
    changed = await change_own(client, pair, typed)
    assert changed.status_code == 200, changed.text
    assert changed.json()["email"] == "alice.fixed@example.test"  # normalised as registered
    assert (await me(client, pair))["email"] == "alice.fixed@example.test"
    # Both sessions stay signed in: nothing secret changed.
    assert (await me(client, other_session))["email"] == "alice.fixed@example.test"
    assert (await login(client, "alice.fixed@example.test")).status_code == 200
    assert_error(await login(client, old), 401, "invalid_credentials")
    # The old email is free for a new account.
    await register(client, old)
    lines = [line for line in audit_lines() if line["event"] == "email_changed"]
    assert len(lines) == 1
    assert lines[0]["user_id"] == lines[0]["by"] == user_id_of(pair)
    assert lines[0]["old"] != lines[0]["new"]
    rendered = json.dumps(lines).lower()
    for secret in (PASSWORD, old, "alice.fixed"):  # account tags, never addresses
        assert secret.lower() not in rendered


async def test_the_owner_needs_the_password_and_a_free_well_formed_email(client):
    email, pair = await signed_in(client)
    taken, _ = await signed_in(client)
    fresh = new_email("fresh")
    assert_error(
        await change_own(client, pair, fresh, "not the password at all"), 403, "wrong_password"
    )
    assert_error(await change_own(client, pair, taken), 409, "email_taken")
    assert_error(await change_own(client, pair, taken.upper()), 409, "email_taken")
    for bad in ("no-at-sign", "a@b@c.test", "x" * 250 + "@e.test", "a@" + "b" * 100_000, ""):
        assert_error(await change_own(client, pair, bad), 400)
    for body in ({"email": fresh}, {"current_password": PASSWORD}, {}, {"email": 5}):
        response = await client.post(EMAIL, json=body, headers=bearer(pair["access_token"]))
        assert_error(response, 400)
    extra = {"email": fresh, "current_password": PASSWORD, "role": "admin"}
    assert_error(await client.post(EMAIL, json=extra, headers=bearer(pair["access_token"])), 400)
    assert_error(await client.post(EMAIL, json={"email": fresh, "current_password": PASSWORD}), 401)
    # Nothing changed, and the same email in another case is no change at all.
    assert (await me(client, pair))["email"] == email
    same = await change_own(client, pair, email.upper())
    assert same.status_code == 200 and same.json()["email"] == email
    assert (await login(client, email)).status_code == 200


async def test_guessing_the_password_to_change_the_email_is_throttled(client):
    _, pair = await signed_in(client)
    codes = [
        (await change_own(client, pair, new_email(), "not the password at all")).json()["code"]
        for _ in range(8)
    ]
    assert codes[0] == "wrong_password"
    assert "login_throttled" in codes


async def test_an_admin_changes_a_users_email_and_role(client, auth_settings, audit_lines):
    email, viewer = await signed_in(client)
    taken, _ = await signed_in(client)
    _, admin = await signed_in_admin(client, auth_settings)
    token, user_id = admin["access_token"], user_id_of(viewer)
    fixed = new_email("fixed")
    changed = await change_by_admin(client, token, user_id, {"email": f" {fixed.upper()} "})
    assert changed.status_code == 200, changed.text
    assert changed.json()["email"] == fixed and changed.json()["role"] == "viewer"
    assert (await me(client, viewer))["email"] == fixed  # the user's session stays
    assert (await login(client, fixed)).status_code == 200
    assert_error(await login(client, email), 401, "invalid_credentials")
    listed = await client.get(f"{API}/users", params={"id": user_id}, headers=bearer(token))
    assert [u["email"] for u in listed.json()["items"]] == [fixed]
    (line,) = [line for line in audit_lines() if line["event"] == "email_changed"]
    assert line["user_id"] == user_id and line["by"] == user_id_of(admin)
    # Refused: another account's email (any case), a malformed one, nothing to change.
    for body, status, code in (
        ({"email": taken.upper()}, 409, "email_taken"),
        ({"email": "not an email"}, 400, None),
        ({"email": "a@" + "b" * 10_000}, 400, None),
        ({}, 400, "invalid_input"),
        ({"email": fixed, "nickname": "x"}, 400, None),
    ):
        assert_error(await change_by_admin(client, token, user_id, body), status, code)
    # Both at once is all or nothing: a taken email leaves the role as it was.
    both = {"email": taken, "role": "admin"}
    assert_error(await change_by_admin(client, token, user_id, both), 409, "email_taken")
    assert (await me(client, viewer))["role"] == "viewer"
    renamed = await change_by_admin(client, token, user_id, {"email": email, "role": "admin"})
    assert (renamed.json()["email"], renamed.json()["role"]) == (email, "admin")
    unknown = "00000000-0000-4000-8000-000000000000"
    assert_error(await change_by_admin(client, token, unknown, {"email": new_email()}), 404)


async def test_only_admins_change_other_peoples_emails(client):
    email, viewer = await signed_in(client)
    _, other = await signed_in(client)
    body = {"email": new_email("hijack")}
    for target in (user_id_of(other), user_id_of(viewer)):
        response = await change_by_admin(client, viewer["access_token"], target, body)
        assert_error(response, 403)
    assert_error(await client.patch(f"{API}/users/{user_id_of(other)}", json=body), 401)
    assert (await me(client, viewer))["email"] == email


async def test_an_invite_names_its_account_by_the_new_email(auth_settings_factory):
    settings = auth_settings_factory(registration_mode="invite")
    async with running_app(settings) as client:
        token = await admin_token(client, settings)
        invite = await client.post(f"{API}/invites", json={}, headers=bearer(token))
        typo = new_email("alice") + "x"
        await register(client, typo, invite_code=invite.json()["code"])
        _, pair = await signed_in(client, typo)
        fixed = new_email("alice")
        assert (await change_own(client, pair, fixed)).status_code == 200
        listed = await client.get(f"{API}/invites", headers=bearer(token))
        (used,) = [i for i in listed.json()["items"] if i["id"] == invite.json()["id"]]
        assert used["used_by_account"] == {"email": fixed, "display_name": None}
