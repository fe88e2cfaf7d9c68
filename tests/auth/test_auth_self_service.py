"""Self-service (issue 16.5): change one's password and display name, delete one's account.

A password change needs the current password, applies the registration strength rules,
and signs out every *other* session of the account (their refresh families and their live
access tokens); the session that made the change stays signed in. Deleting one's own
account needs the password too (a stolen access token alone cannot), ends every session,
frees the address and tells the other modules, as an admin's delete does.
"""

from __future__ import annotations

import re
from typing import Any

from auth_accounts import (
    API,
    PASSWORD,
    assert_error,
    assert_signed_out,
    bearer,
    login,
    read_behind,
    register,
    signed_in,
    signed_in_admin,
)

from streamstack.auth.module import standalone_service
from streamstack.contracts.auth import USER_DELETED

NEW_PASSWORD = "violet umbrella marching slowly"


async def test_changing_the_password_signs_out_every_other_session(client):
    email, mine = await signed_in(client)
    _, other = await signed_in(client, email)
    _, stranger = await signed_in(client)
    response = await client.post(
        f"{API}/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(mine["access_token"]),
    )
    assert response.status_code == 204, response.text
    # The other session: its access token is revoked and its refresh token is dead.
    assert_error(
        await client.get(f"{API}/me", headers=bearer(other["access_token"])), 401, "token_revoked"
    )
    refreshed = await client.post(f"{API}/refresh", json={"refresh_token": other["refresh_token"]})
    assert_error(refreshed, 401, "session_revoked")
    # This session keeps working and can refresh.
    assert (await client.get(f"{API}/me", headers=bearer(mine["access_token"]))).status_code == 200
    refreshed = await client.post(f"{API}/refresh", json={"refresh_token": mine["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    # Another account is untouched.
    assert (
        await client.get(f"{API}/me", headers=bearer(stranger["access_token"]))
    ).status_code == 200
    # Only the new password signs in.
    assert_error(await login(client, email, PASSWORD), 401, "invalid_credentials")
    assert (await login(client, email, NEW_PASSWORD)).status_code == 200


async def test_a_password_change_needs_the_current_password_and_a_strong_new_one(client):
    email, pair = await signed_in(client)
    headers = bearer(pair["access_token"])
    wrong = {"current_password": "not the password at all", "new_password": NEW_PASSWORD}
    assert_error(
        await client.post(f"{API}/password", json=wrong, headers=headers), 403, "wrong_password"
    )
    weak = {"current_password": PASSWORD, "new_password": "password1"}
    assert_error(
        await client.post(f"{API}/password", json=weak, headers=headers), 400, "weak_password"
    )
    same = {"current_password": PASSWORD, "new_password": PASSWORD}
    refused_same = assert_error(
        await client.post(f"{API}/password", json=same, headers=headers), 400, "same_password"
    )
    # Shown as it is under the field: a whole sentence.
    assert refused_same["detail"] == "the new password is the one you have now: choose another."
    # Said only to someone who knows the current password.
    guess = {"current_password": NEW_PASSWORD, "new_password": NEW_PASSWORD}
    assert_error(
        await client.post(f"{API}/password", json=guess, headers=headers), 403, "wrong_password"
    )
    short = {"current_password": PASSWORD, "new_password": "short"}
    refused = await client.post(f"{API}/password", json=short, headers=headers)
    assert_error(refused, 400, "validation_error")  # the schema's bound, as the SPA says it
    assert "length >= 8" in refused.json()["detail"]
    for body in (
        {"current_password": PASSWORD},
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "user_id": "x"},
        {"current_password": PASSWORD, "new_password": "x" * 129},
        {"current_password": 1, "new_password": NEW_PASSWORD},
    ):
        assert_error(await client.post(f"{API}/password", json=body, headers=headers), 400)
    assert_error(
        await client.post(
            f"{API}/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        ),
        401,
    )
    # Nothing changed: the old password still signs in.
    assert (await login(client, email, PASSWORD)).status_code == 200


async def test_guessing_the_current_password_is_throttled(client):
    _, pair = await signed_in(client)
    headers = bearer(pair["access_token"])
    wrong = {"current_password": "not the password at all", "new_password": NEW_PASSWORD}
    codes = [
        (await client.post(f"{API}/password", json=wrong, headers=headers)).json()["code"]
        for _ in range(8)
    ]
    assert codes[0] == "wrong_password"
    assert "login_throttled" in codes


async def test_display_name_is_changed_removed_and_validated(client):
    _, pair = await signed_in(client)
    _, stranger = await signed_in(client)
    headers = bearer(pair["access_token"])
    changed = await client.patch(f"{API}/me", json={"display_name": "  Ada L.  "}, headers=headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["display_name"] == "Ada L."
    assert (await client.get(f"{API}/me", headers=headers)).json()["display_name"] == "Ada L."
    # Only the caller's own account changed.
    theirs = await client.get(f"{API}/me", headers=bearer(stranger["access_token"]))
    assert theirs.json()["display_name"] is None
    for bad in ({"display_name": "x" * 101}, {"display_name": "a\u202eb"}, {"name": "x"}, {}):
        assert_error(await client.patch(f"{API}/me", json=bad, headers=headers), 400)
    assert_error(await client.patch(f"{API}/me", json={"display_name": "Eve"}), 401)
    removed = await client.patch(f"{API}/me", json={"display_name": "   "}, headers=headers)
    assert removed.json()["display_name"] is None
    new = await client.patch(f"{API}/me", json={"display_name": None}, headers=headers)
    assert new.status_code == 200


async def deleted_announcements(settings: Any) -> int:
    """How many ``user.deleted`` events auth's outbox holds (sent or not)."""
    sql = "SELECT count(*) FROM auth_outbox WHERE subject = :subject"
    return int(await read_behind(settings, sql, subject=USER_DELETED))


async def test_deleting_ones_account_ends_every_session_and_frees_the_address(
    client, auth_settings
):
    email, mine = await signed_in(client)
    _, other = await signed_in(client, email)
    _, stranger = await signed_in(client)
    response = await client.post(
        f"{API}/me/delete", json={"password": PASSWORD}, headers=bearer(mine["access_token"])
    )

    assert response.status_code == 204, response.text
    assert 'streamstack_refresh=""' in response.headers["set-cookie"]  # the browser forgets it
    await assert_signed_out(client, mine, other)
    assert_error(await login(client, email), 401, "invalid_credentials")
    assert await deleted_announcements(auth_settings) == 1  # catalogue forgets their history
    me = await client.get(f"{API}/me", headers=bearer(stranger["access_token"]))
    assert me.status_code == 200  # another account is untouched
    await register(client, email)  # the address can be used again


async def test_deleting_ones_account_needs_the_password_and_changes_nothing_otherwise(
    client, auth_settings
):
    email, pair = await signed_in(client)
    headers = bearer(pair["access_token"])
    wrong = await client.post(
        f"{API}/me/delete", json={"password": "not the password at all"}, headers=headers
    )
    assert_error(wrong, 403, "wrong_password")
    for body in ({}, {"password": PASSWORD, "user_id": "x"}, {"password": 1}, [PASSWORD]):
        assert_error(await client.post(f"{API}/me/delete", json=body, headers=headers), 400)
    assert_error(await client.post(f"{API}/me/delete", json={"password": PASSWORD}), 401)

    assert (await client.get(f"{API}/me", headers=headers)).status_code == 200
    assert (await login(client, email)).status_code == 200
    assert await deleted_announcements(auth_settings) == 0


async def test_guessing_the_password_to_delete_an_account_is_throttled(client):
    _, pair = await signed_in(client)
    headers = bearer(pair["access_token"])
    codes = [
        (
            await client.post(
                f"{API}/me/delete", json={"password": "a wrong guess"}, headers=headers
            )
        ).json()["code"]
        for _ in range(8)
    ]
    assert codes[0] == "wrong_password"
    assert "login_throttled" in codes
    assert (await client.get(f"{API}/me", headers=headers)).status_code == 200


async def test_the_last_admin_cannot_delete_their_account(client, auth_settings):
    email, admin = await signed_in_admin(client, auth_settings)
    async with standalone_service(auth_settings) as service:
        for user in (await service.list_users(None, 100, 0)).items:
            if user.role == "admin" and user.email != email:
                await service.change_user(user.id, role="viewer")
    headers = bearer(admin["access_token"])
    refused = await client.post(f"{API}/me/delete", json={"password": PASSWORD}, headers=headers)

    assert_error(refused, 409, "last_admin")
    assert (await client.get(f"{API}/me", headers=headers)).json()["role"] == "admin"
    assert (await login(client, email)).status_code == 200


async def test_the_documented_display_name_pattern_refuses_what_the_server_refuses(client):
    """Schemathesis sent ``"display_name": "\\u007f"``, valid by the document (no pattern)
    and refused with 400: the display name fields now document the characters refused."""
    document = (await client.get("/api/docs/openapi.json")).json()
    schemas = document["components"]["schemas"]
    pattern = schemas["ProfileChange"]["properties"]["display_name"]["pattern"]
    assert schemas["RegisterRequest"]["properties"]["display_name"]["pattern"] == pattern
    _, pair = await signed_in(client)
    headers = bearer(pair["access_token"])
    for bad in ("\x7f", "a\x00b", "a\u202eb", "\ue000", "a\u00adb", "a\u2028b"):
        assert not re.search(pattern, bad), bad
        answer = await client.patch(f"{API}/me", json={"display_name": bad}, headers=headers)
        assert_error(answer, 400)
    for good in ("Ada L.", "🎬 Film Fan 👨\u200d👩\u200d👧", "Zoë Ångström"):
        assert re.search(pattern, good), good
        answer = await client.patch(f"{API}/me", json={"display_name": good}, headers=headers)
        assert answer.status_code == 200, answer.text
