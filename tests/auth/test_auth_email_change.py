"""Changing an account's sign-in email: by its owner (``POST /me/email``, with the current
password, then the link mailed to the new address) or by an admin (``PATCH /users/{id}``
with ``email``, at once: an operator's act).

Registration does not verify emails, so a typo used to be permanent. The new email is
normalised as at registration and must be no other account's (409 ``email_taken``). An
owner's request changes nothing yet: a single-use, one-hour link goes to the new address,
and only its use makes the email the one that signs in (the old one then no longer does,
and is told), so no member can take an address they cannot read. The address is not
reserved meanwhile; a newer request, a cancel or a new password withdraws the link (the
password's notice names the change it cancelled). Sessions stay signed
in (no secret changed). The owner's request is a password check like a sign-in, under the
same throttle. Every test runs on both backend kinds.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from email.message import EmailMessage
from typing import Any

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
    new_email,
    register,
    signed_in,
    signed_in_admin,
)
from jose import jwt
from test_auth_account_mail import NEW_PASSWORD, reset_by_link, text_of
from test_auth_password_reset_mail import PUBLIC_URL, link_in, mail_settings, mail_to

from streamstack.auth import service as auth_service
from support.apps import running_app
from support.clock import HeldClock
from support.mail import MailServer

EMAIL = f"{API}/me/email"
CONFIRM = f"{API}/email-confirmations"
LINK = re.compile(r"^(https?://\S+)/confirm-email#code=(\S+)$", re.MULTILINE)


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


async def link_code(server: MailServer, email: str) -> str:
    """The code of the confirmation link in the one mail to ``email`` (waiting for it)."""
    found = LINK.search(text_of(await mail_to(server, email)))
    assert found is not None
    assert found[1] == PUBLIC_URL  # never the request's host
    return found[2]


async def requested(client: Any, server: MailServer, pair: dict[str, Any], email: str) -> str:
    """Ask for ``email`` as ``pair``'s account (asserting 202); its link's code."""
    asked = await change_own(client, pair, email)
    assert asked.status_code == 202, asked.text
    return await link_code(server, email)


async def confirm(client: Any, code: str) -> Any:
    """``POST /email-confirmations`` with ``code``, signed in as no one."""
    return await client.post(CONFIRM, json={"code": code})


async def change_by_admin(client: Any, token: str, user_id: str, body: dict[str, Any]) -> Any:
    """``PATCH /users/{id}`` as the admin of ``token``."""
    return await client.patch(f"{API}/users/{user_id}", json=body, headers=bearer(token))


@pytest.fixture
async def client(auth_settings_factory, smtp_server) -> AsyncIterator[Any]:
    """The auth module mailing through ``smtp_server``, on this test's backends."""
    async with running_app(mail_settings(auth_settings_factory, smtp_server)) as test_client:
        yield test_client


@pytest.fixture
def audit_lines(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The auth service's log lines from now on, each as its fields with ``event``."""
    recorder = structlog.testing.CapturingLogger()
    monkeypatch.setattr(auth_service, "log", recorder)
    return lambda: [{"event": call.args[0], **call.kwargs} for call in recorder.calls]


async def test_the_new_email_signs_in_once_its_owner_opens_the_link(
    client, smtp_server, audit_lines
):
    old, pair = await signed_in(client)
    _, other_session = await signed_in(client, old)
    fixed = "alice.fixed@example.test"
    asked = await change_own(client, pair, "  Alice.Fixed@Example.TEST ")
    assert asked.status_code == 202, asked.text
    assert asked.json()["pending_email"] == fixed  # normalised as registered
    assert asked.json()["expires_at"]
    # Nothing changed yet: the old email signs in, the new one does not.
    assert (await me(client, pair))["email"] == old
    assert_error(await login(client, fixed), 401, "invalid_credentials")
    pending = await client.get(EMAIL, headers=bearer(pair["access_token"]))
    assert pending.json() == asked.json()
    mail = await mail_to(smtp_server, fixed)
    assert mail["Subject"] == "Confirm your new StreamStack sign-in email"
    assert old not in text_of(mail)  # masked: a stranger's inbox learns no one's address
    code = await link_code(smtp_server, fixed)
    assert smtp_server.inbox.to(old) == []
    confirmed = await confirm(client, code)
    assert confirmed.status_code == 200, confirmed.text
    # Whose account changed: a browser signed in as another account says so.
    assert confirmed.json() == {"email": fixed, "user_id": user_id_of(pair)}
    assert confirmed.headers["cache-control"] == "no-store"
    # Both sessions stay signed in: nothing secret changed.
    assert (await me(client, pair))["email"] == fixed
    assert (await me(client, other_session))["email"] == fixed
    assert (await login(client, fixed)).status_code == 200
    assert_error(await login(client, old), 401, "invalid_credentials")
    notice = await mail_to(smtp_server, old)
    assert notice["Subject"] == "Your StreamStack sign-in email was changed"
    # The link works once, and nothing is pending any more.
    assert_error(await confirm(client, code), 403, "invalid_email_code")
    after = await client.get(EMAIL, headers=bearer(pair["access_token"]))
    assert after.json() == {"pending_email": None, "expires_at": None, "taken": False}
    await register(client, old)  # the old email is free for a new account
    lines = [line for line in audit_lines() if line["event"] == "email_changed"]
    assert len(lines) == 1
    assert lines[0]["user_id"] == lines[0]["by"] == user_id_of(pair)
    rendered = json.dumps(audit_lines()).lower()
    for secret in (PASSWORD, old, "alice.fixed", code.lower()):  # tags, never addresses
        assert secret.lower() not in rendered


async def test_the_owner_needs_the_password_and_a_free_well_formed_email(client, smtp_server):
    email, pair = await signed_in(client)
    taken, _ = await signed_in(client)
    fresh = new_email("fresh")
    assert_error(
        await change_own(client, pair, fresh, "not the password at all"), 403, "wrong_password"
    )
    assert_error(await change_own(client, pair, taken), 409, "email_taken")
    assert_error(await change_own(client, pair, taken.upper()), 409, "email_taken")
    assert_error(await change_own(client, pair, email.upper()), 400, "same_email")
    for bad in ("no-at-sign", "a@b@c.test", "x" * 250 + "@e.test", "a@" + "b" * 100_000, ""):
        assert_error(await change_own(client, pair, bad), 400)
    for body in ({"email": fresh}, {"current_password": PASSWORD}, {}, {"email": 5}):
        response = await client.post(EMAIL, json=body, headers=bearer(pair["access_token"]))
        assert_error(response, 400)
    extra = {"email": fresh, "current_password": PASSWORD, "role": "admin"}
    assert_error(await client.post(EMAIL, json=extra, headers=bearer(pair["access_token"])), 400)
    # Nothing changed, nothing is pending, and no one was mailed.
    assert (await me(client, pair))["email"] == email
    pending = await client.get(EMAIL, headers=bearer(pair["access_token"]))
    assert pending.json()["pending_email"] is None
    assert (await login(client, email)).status_code == 200
    assert smtp_server.inbox.mails == []


async def test_guests_and_revoked_tokens_change_no_email(client, smtp_server):
    email, pair = await signed_in(client)
    body = {"email": new_email("fresh"), "current_password": PASSWORD}
    for method in ("POST", "GET", "DELETE"):
        guest = await client.request(method, EMAIL, json=body if method == "POST" else None)
        assert_error(guest, 401)
    await client.post(f"{API}/logout", headers=bearer(pair["access_token"]))
    await assert_signed_out(client, pair)
    for method in ("POST", "GET", "DELETE"):
        revoked = await client.request(
            method,
            EMAIL,
            json=body if method == "POST" else None,
            headers=bearer(pair["access_token"]),
        )
        assert_error(revoked, 401, "token_revoked")
    assert smtp_server.inbox.mails == []
    assert (await login(client, email)).status_code == 200


async def test_a_newer_request_or_a_cancel_withdraws_the_link(client, smtp_server):
    email, pair = await signed_in(client)
    first, second, third = new_email("first"), new_email("second"), new_email("third")
    older = await requested(client, smtp_server, pair, first)
    newer = await requested(client, smtp_server, pair, second)
    assert_error(await confirm(client, older), 403, "invalid_email_code")
    assert (await me(client, pair))["email"] == email
    cancelled = await requested(client, smtp_server, pair, third)
    assert (await client.delete(EMAIL, headers=bearer(pair["access_token"]))).status_code == 204
    assert_error(await confirm(client, cancelled), 403, "invalid_email_code")
    assert (await me(client, pair))["email"] == email
    # The newer link was withdrawn by the third request too: none of them works now.
    assert_error(await confirm(client, newer), 403, "invalid_email_code")
    assert (await login(client, email)).status_code == 200


async def reset_link_to(client: Any, server: MailServer, email: str) -> str:
    """The code of the reset link mailed to ``email`` when asked for (waiting for it)."""
    asked = await client.post(f"{API}/password-reset/request", json={"email": email})
    assert asked.status_code == 202, asked.text
    return link_in(await mail_to(server, email))[1]


async def assert_reset_code_dead(client: Any, code: str) -> None:
    """``code`` is refused by the check and by the reset alike."""
    check = await client.post(f"{API}/password-reset/check", json={"code": code})
    assert_error(check, 403, "invalid_reset_code")
    use = {"code": code, "new_password": NEW_PASSWORD}
    assert_error(await client.post(f"{API}/password-reset", json=use), 403, "invalid_reset_code")


async def test_a_confirmed_change_withdraws_the_reset_link_mailed_to_the_old_address(
    client, smtp_server
):
    """Walk 51 F6: whoever reads the old mailbox (why it was changed) must not choose the
    password of the account that signs in with the new one, nor learn the new address."""
    old, pair = await signed_in(client)
    held = await reset_link_to(client, smtp_server, old)
    fresh = new_email("moved")
    assert (await confirm(client, await requested(client, smtp_server, pair, fresh))).is_success
    await assert_reset_code_dead(client, held)
    assert (await login(client, fresh)).status_code == 200  # the password stays


async def test_an_admins_change_withdraws_the_reset_link_and_the_owners_pending_email(
    client, smtp_server, auth_settings
):
    """Walk 51 F6: an admin's change (often fixing a typo'd address that is a stranger's)
    withdraws the reset link mailed to the old address, and the owner's older request,
    whose link opened later would silently replace the admin's address."""
    old, pair = await signed_in(client)
    held = await reset_link_to(client, smtp_server, old)
    pending = await requested(client, smtp_server, pair, new_email("asked"))
    _, admin = await signed_in_admin(client, auth_settings)
    fixed = new_email("fixed")
    changed = await change_by_admin(
        client, admin["access_token"], user_id_of(pair), {"email": fixed}
    )
    assert changed.status_code == 200, changed.text
    await assert_reset_code_dead(client, held)
    assert_error(await confirm(client, pending), 403, "invalid_email_code")
    assert (await me(client, pair))["email"] == fixed
    waiting = await client.get(EMAIL, headers=bearer(pair["access_token"]))
    assert waiting.json()["pending_email"] is None
    assert (await login(client, fixed)).status_code == 200


async def test_a_new_password_withdraws_the_link(client, smtp_server):
    """Whoever knew the old password and asked for their own address loses the link when the
    owner changes the password (a reset withdraws it alike, through the same step)."""
    email, pair = await signed_in(client)
    code = await requested(client, smtp_server, pair, new_email("thief"))
    changed = await client.post(
        f"{API}/password",
        json={"current_password": PASSWORD, "new_password": "violet umbrella marching slowly"},
        headers=bearer(pair["access_token"]),
    )
    assert changed.status_code == 204, changed.text
    assert_error(await confirm(client, code), 403, "invalid_email_code")
    assert (await me(client, pair))["email"] == email


def assert_names_the_cancelled_change(notice: EmailMessage, new: str) -> None:
    """``notice`` says the change of sign-in email to ``new`` was cancelled, and what to do."""
    text = " ".join(text_of(notice).split())  # the sentence, whatever its line breaks
    assert f"The change of your sign-in email to {new}, which was waiting for its" in text
    assert "was cancelled too. If you asked for it, ask again on your Account page." in text


async def test_a_password_change_names_the_email_change_it_cancelled(client, smtp_server):
    email, pair = await signed_in(client)
    new = new_email("waiting")
    await requested(client, smtp_server, pair, new)
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    changed = await client.post(f"{API}/password", json=body, headers=bearer(pair["access_token"]))
    assert changed.status_code == 204, changed.text
    notice = await mail_to(smtp_server, email)
    assert "from the account page" in text_of(notice)
    assert_names_the_cancelled_change(notice, new)


async def test_a_reset_names_the_email_change_it_cancelled_unless_expired(
    auth_settings_factory, smtp_server
):
    clock = HeldClock()
    async with running_app(
        mail_settings(auth_settings_factory, smtp_server), clock=clock
    ) as client:
        email, pair = await signed_in(client)
        new = new_email("waiting")
        await requested(client, smtp_server, pair, new)
        notice = await reset_by_link(client, smtp_server, email)
        assert "with a password reset link" in text_of(notice)
        assert_names_the_cancelled_change(notice, new)
        # A link that had expired cancelled nothing the owner was waiting for: not named.
        _, pair = await signed_in(client, email, NEW_PASSWORD)
        late = new_email("late")
        assert (await change_own(client, pair, late, NEW_PASSWORD)).status_code == 202
        await link_code(smtp_server, late)
        clock.advance(3601)
        assert "sign-in email" not in text_of(await reset_by_link(client, smtp_server, email))


@pytest.mark.parametrize("code", ["", "x" * 65, "not-a-code-anyone-was-mailed", "ü" * 10])
async def test_a_garbage_code_changes_nothing(client, code):
    email, pair = await signed_in(client)
    refused = await confirm(client, code)
    assert refused.status_code in (400, 403), refused.text
    assert "code" in refused.json()
    for body in ({}, {"code": 5}, {"code": "a", "email": "x@y.test"}):
        assert_error(await client.post(CONFIRM, json=body), 400)
    assert (await me(client, pair))["email"] == email


async def test_an_address_taken_meanwhile_is_409_and_changes_nothing(client, smtp_server):
    email, pair = await signed_in(client)
    wanted = new_email("wanted")
    code = await requested(client, smtp_server, pair, wanted)
    waiting = await client.get(EMAIL, headers=bearer(pair["access_token"]))
    assert waiting.json()["taken"] is False
    await register(client, wanted)  # not reserved: its real owner joins meanwhile
    # The owner's Account page is told the link can no longer work, to choose another.
    pending = await client.get(EMAIL, headers=bearer(pair["access_token"]))
    assert pending.json()["pending_email"] == wanted
    assert pending.json()["taken"] is True
    assert_error(await confirm(client, code), 409, "email_taken")
    assert (await me(client, pair))["email"] == email
    assert (await login(client, wanted)).status_code == 200  # the real owner's account
    assert smtp_server.inbox.to(email) == []  # no notice: nothing changed


async def test_an_expired_link_changes_nothing(auth_settings_factory, smtp_server):
    clock = HeldClock()
    settings = mail_settings(auth_settings_factory, smtp_server)
    async with running_app(settings, clock=clock) as client:
        email, pair = await signed_in(client)
        code = await requested(client, smtp_server, pair, new_email("late"))
        clock.advance(3601)
        assert_error(await confirm(client, code), 403, "invalid_email_code")
        assert (await me(client, pair))["email"] == email
        pending = await client.get(EMAIL, headers=bearer(pair["access_token"]))
        assert pending.json()["pending_email"] is None


async def test_without_mail_the_owner_is_told_to_ask_an_admin(auth_settings):
    async with running_app(auth_settings) as client:
        email, pair = await signed_in(client)
        refused = assert_error(await change_own(client, pair, new_email()), 409, "mail_disabled")
        assert "administrator" in refused["detail"]
        assert (await me(client, pair))["email"] == email


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


async def test_an_invite_names_its_account_by_the_new_email(auth_settings_factory, smtp_server):
    settings = mail_settings(auth_settings_factory, smtp_server, registration_mode="invite")
    async with running_app(settings) as client:
        token = await admin_token(client, settings)
        invite = await client.post(f"{API}/invites", json={}, headers=bearer(token))
        typo = new_email("alice") + "x"
        await register(client, typo, invite_code=invite.json()["code"])
        _, pair = await signed_in(client, typo)
        fixed = new_email("alice")
        assert (await confirm(client, await requested(client, smtp_server, pair, fixed))).is_success
        listed = await client.get(f"{API}/invites", headers=bearer(token))
        (used,) = [i for i in listed.json()["items"] if i["id"] == invite.json()["id"]]
        assert used["used_by_account"] == {"email": fixed, "display_name": None}
