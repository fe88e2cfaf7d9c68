"""Registration modes (open, invite, closed), admin invite codes, registration throttling.

What an attacker sends is covered: no code, an unknown code, a used, revoked or expired
code, the same code twice at once, an overlong code, a viewer or a revoked admin token on
the invite endpoints, a note too long, of the wrong type or with control characters, and a
registration flood from one address.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest
from auth_accounts import (
    API,
    PASSWORD,
    STRIPPED_OF_ADMIN,
    admin_token,
    assert_error,
    bearer,
    documented_statuses,
    login,
    new_email,
    register,
    strip_admin,
)
from jose import jwt
from sqlalchemy import update

from streamstack.auth.models import Invite
from streamstack.auth.service import invite_note
from streamstack.contracts.limits import INVITE_NOTE_MAX
from streamstack.kernel.db import Database
from streamstack.kernel.errors import BadRequest
from streamstack.settings import SettingsError
from support.apps import running_app, served_app
from support.queries import counting_queries

INVITES = f"{API}/invites"


async def new_invite(client: Any, token: str, **body: Any) -> dict[str, Any]:
    response = await client.post(INVITES, json=body or None, headers=bearer(token))
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    invite: dict[str, Any] = response.json()
    return invite


async def register_with(client: Any, code: str | None, email: str | None = None) -> Any:
    body: dict[str, Any] = {"email": email or new_email(), "password": PASSWORD}
    if code is not None:
        body["invite_code"] = code
    return await client.post(f"{API}/register", json=body)


async def listed_invites(client: Any, token: str) -> dict[str, dict[str, Any]]:
    """Each listed invite, by its id, as an admin (``token``) sees them."""
    response = await client.get(INVITES, headers=bearer(token))
    assert response.status_code == 200, response.text
    return {i["id"]: i for i in response.json()["items"]}


async def invite_statuses(client: Any, token: str) -> dict[str, str]:
    """Each listed invite's status, by its id, as an admin (``token``) sees them."""
    return {key: i["status"] for key, i in (await listed_invites(client, token)).items()}


@pytest.fixture
async def invite_client(auth_settings_factory):
    settings = auth_settings_factory(registration_mode="invite")
    async with running_app(settings) as client:
        yield client, settings


# --- modes ------------------------------------------------------------------------------


async def test_open_is_the_default_and_spends_only_usable_invite_codes(client, auth_settings):
    assert (await register_with(client, None)).status_code == 201
    assert (await register_with(client, "not-a-code")).status_code == 201
    # An invite link followed while registration is open makes the account and is used up.
    token = await admin_token(client, auth_settings)
    invite = await new_invite(client, token)
    made = await register_with(client, invite["code"])
    assert made.status_code == 201, made.text
    listed = (await client.get(INVITES, headers=bearer(token))).json()["items"]
    assert [(i["status"], i["used_by"]) for i in listed if i["id"] == invite["id"]] == [
        ("used", made.json()["id"])
    ]
    assert (await register_with(client, invite["code"])).status_code == 201


async def test_closed_refuses_everyone_even_with_a_valid_code(auth_settings_factory):
    settings = auth_settings_factory(registration_mode="closed")
    async with running_app(settings) as client:
        invite = await new_invite(client, await admin_token(client, settings))
        for code in (None, invite["code"]):
            assert_error(await register_with(client, code), 403, "registration_disabled")


def test_unknown_modes_do_not_start(auth_settings_factory):
    with pytest.raises(SettingsError, match="STREAMSTACK_REGISTRATION_MODE"):
        auth_settings_factory(registration_mode="anyone")


async def test_invite_mode_registers_once_per_code(invite_client):
    client, settings = invite_client
    assert_error(await register_with(client, None), 403, "invite_required")
    assert_error(await register_with(client, "unknown-code"), 403, "invalid_invite")
    token = await admin_token(client, settings)
    invite = await new_invite(client, token)
    assert set(invite) == {
        "id",
        "code",
        "created_at",
        "expires_at",
        "note",
        "link_path",
        "mailed_to",
    }
    # The SPA page that takes it, the code in the fragment (never sent in a request).
    assert invite["link_path"] == f"/register#invite={invite['code']}"
    email = new_email("invited")
    created = await register_with(client, invite["code"], email)
    assert created.status_code == 201, created.text
    assert created.json()["role"] == "viewer"
    assert (await login(client, email)).status_code == 200
    # The code is spent: reusing it (even for another email) is refused the same way.
    assert_error(await register_with(client, invite["code"]), 403, "invalid_invite")
    listed = (await client.get(INVITES, headers=bearer(token))).json()["items"]
    mine = next(i for i in listed if i["id"] == invite["id"])
    assert mine["status"] == "used"
    assert mine["used_by"] == created.json()["id"]
    assert "code" not in mine and invite["code"] not in str(listed)


async def test_a_failed_registration_does_not_spend_the_code(invite_client):
    client, settings = invite_client
    invite = await new_invite(client, await admin_token(client, settings))
    taken = new_email("taken")
    first = await new_invite(client, await admin_token(client, settings))
    assert (await register_with(client, first["code"], taken)).status_code == 201
    assert_error(await register_with(client, invite["code"], taken), 409, "email_taken")
    bad = {"email": new_email(), "password": "1234567", "invite_code": invite["code"]}
    assert_error(await client.post(f"{API}/register", json=bad), 400)
    assert (await register_with(client, invite["code"])).status_code == 201


async def test_the_same_code_twice_at_once_makes_one_account(invite_client):
    client, settings = invite_client
    invite = await new_invite(client, await admin_token(client, settings))
    answers = await asyncio.gather(*(register_with(client, invite["code"]) for _ in range(4)))
    assert sorted(a.status_code for a in answers) == [201, 403, 403, 403]


async def test_revoked_and_expired_codes_are_refused(invite_client):
    client, settings = invite_client
    token = await admin_token(client, settings)
    revoked, expired, used = [await new_invite(client, token) for _ in range(3)]
    assert (
        await client.delete(f"{INVITES}/{revoked['id']}", headers=bearer(token))
    ).status_code == 204
    # Revoking again is fine; an unknown invite is 404; a used one cannot be revoked.
    assert (
        await client.delete(f"{INVITES}/{revoked['id']}", headers=bearer(token))
    ).status_code == 204
    assert_error(await client.delete(f"{INVITES}/{uuid.uuid4()}", headers=bearer(token)), 404)
    assert (await register_with(client, used["code"])).status_code == 201
    assert_error(
        await client.delete(f"{INVITES}/{used['id']}", headers=bearer(token)), 409, "invite_used"
    )
    database = Database(settings.effective_database_url)  # white-box: move expiry to the past
    try:
        async with database.session() as session, session.begin():
            await session.execute(
                update(Invite)
                .where(Invite.id == uuid.UUID(expired["id"]))
                .values(expires_at=Invite.created_at)
            )
    finally:
        await database.close()
    for invite in (revoked, expired):
        assert_error(await register_with(client, invite["code"]), 403, "invalid_invite")
    statuses = await invite_statuses(client, token)
    assert statuses[revoked["id"]] == "revoked"
    assert statuses[expired["id"]] == "expired"
    assert statuses[used["id"]] == "used"


@pytest.mark.parametrize("how", sorted(STRIPPED_OF_ADMIN))
async def test_invites_die_when_their_creator_stops_being_an_admin(invite_client, how):
    """A demoted, disabled or deleted admin must not keep letting people in with the codes
    they created (and saw); another admin's invites are untouched."""
    client, settings = invite_client
    creator, other = await admin_token(client, settings), await admin_token(client, settings)
    theirs, kept = await new_invite(client, creator), await new_invite(client, other)
    creator_id = jwt.get_unverified_claims(creator)["sub"]
    await strip_admin(client, other, creator_id, how)
    assert_error(await register_with(client, theirs["code"]), 403, "invalid_invite")
    statuses = await invite_statuses(client, other)
    assert statuses[theirs["id"]] == "revoked"
    assert statuses[kept["id"]] == "active"
    assert (await register_with(client, kept["code"])).status_code == 201


async def test_an_invite_created_as_its_creator_is_demoted_dies_with_their_rights(
    invite_client,
):
    """An admin creates an invite at the moment another demotes them: it is refused or
    revoked with their others. The demotion withdrew their codes before that one was
    stored, so it let people in after their rights were gone."""
    client, settings = invite_client
    other = await admin_token(client, settings)
    method, suffix, body = STRIPPED_OF_ADMIN["demoted"]
    for _ in range(6):
        creator = await admin_token(client, settings)
        creator_id = jwt.get_unverified_claims(creator)["sub"]
        created, demoted = await asyncio.gather(
            client.post(INVITES, headers=bearer(creator)),
            client.request(
                method, f"{API}/users/{creator_id}{suffix}", headers=bearer(other), json=body
            ),
        )
        assert demoted.status_code == 200, demoted.text
        if created.status_code == 401:  # the demotion revoked the token before it was read
            assert_error(created, 401, "token_revoked")
            continue
        if created.status_code != 201:  # read as an admin's, refused by the use case
            assert_error(created, 403)
            continue
        assert_error(await register_with(client, created.json()["code"]), 403, "invalid_invite")


async def test_invite_lifetime_is_chosen_within_bounds(invite_client):
    client, settings = invite_client
    token = await admin_token(client, settings)
    invite = await new_invite(client, token, expires_in_hours=1)
    lifetime = datetime.fromisoformat(invite["expires_at"]) - datetime.fromisoformat(
        invite["created_at"]
    )
    assert lifetime.total_seconds() == 3600
    for body in (
        {"expires_in_hours": 0},
        {"expires_in_hours": 721},
        {"expires_in_hours": "a day"},
        {"expires_in_hours": 24, "uses": 5},
        [],
    ):
        response = await client.post(INVITES, json=body, headers=bearer(token))
        assert_error(response, 400)
    overlong = await register_with(client, "x" * 65)
    assert_error(overlong, 400)
    for bad in ({"limit": 0}, {"limit": 501}, {"limit": "many"}):
        assert_error(await client.get(INVITES, params=bad, headers=bearer(token)), 400)
    assert (await client.delete(f"{INVITES}/not-a-uuid", headers=bearer(token))).status_code in (
        400,
        404,
    )


# --- notes, and who used an invite -----------------------------------------------------


async def test_a_note_tells_invites_apart_and_a_used_one_names_its_account(invite_client):
    """The note is trimmed (blank or null: none) and kept; the list names who used each
    invite by the account as it is now, or says it was since deleted, in one statement."""
    client, settings = invite_client
    token = await admin_token(client, settings)
    alice = await new_invite(client, token, note="  for Alice, video club  ")
    bob = await new_invite(client, token, note="für Bob 🎬 (ex-colleague)", expires_in_hours=24)
    carol = await new_invite(client, token, note="c" * INVITE_NOTE_MAX)
    blank = await new_invite(client, token, note=" \u00a0 ")
    null = await new_invite(client, token, note=None)
    assert [i["note"] for i in (alice, bob, carol, blank, null)] == [
        "for Alice, video club",
        "für Bob 🎬 (ex-colleague)",
        "c" * INVITE_NOTE_MAX,
        None,
        None,
    ]
    emails = {name: new_email(name) for name in ("alice", "bob", "carol")}
    await register(client, emails["alice"], display_name="Alice A.", invite_code=alice["code"])
    gone = await register(client, emails["bob"], invite_code=bob["code"])
    await register(client, emails["carol"], invite_code=carol["code"])
    deleted = await client.delete(f"{API}/users/{gone['id']}", headers=bearer(token))
    assert deleted.status_code == 204, deleted.text

    with counting_queries(client) as statements:
        listed = await listed_invites(client, token)
    assert len(statements) == 1, statements  # a join, not one lookup per used invite

    def used(invite: dict[str, Any]) -> tuple[Any, ...]:
        row = listed[invite["id"]]
        return row["status"], row["note"], row["used_by_account"], row["used_by_deleted"]

    assert used(alice) == (
        "used",
        "for Alice, video club",
        {"email": emails["alice"], "display_name": "Alice A."},
        False,
    )
    assert used(carol)[2] == {"email": emails["carol"], "display_name": None}
    assert used(bob) == ("used", "für Bob 🎬 (ex-colleague)", None, True)
    assert listed[bob["id"]]["used_by"] is None
    assert used(blank) == used(null) == ("active", None, None, False)


async def test_a_bad_note_is_refused_and_nothing_is_created(invite_client):
    """Too long, not a string, or more than one line of text: a 400 that names the note."""
    client, settings = invite_client
    token = await admin_token(client, settings)
    notes: list[Any] = [
        "x" * (INVITE_NOTE_MAX + 1),
        5,
        True,
        ["for", "Alice"],
        {"text": "for Alice"},
        "for Alice\nvideo club",
        "for Alice\r",
        "tab\there",
        "nul\x00",
        "escape\x1b[31m",
        "next line\x85",
        "line\u2028separator",
    ]
    for note in notes:
        response = await client.post(INVITES, json={"note": note}, headers=bearer(token))
        body = assert_error(response, 400)
        assert "note" in body["detail"], (note, body)
    # A lone surrogate (Postgres refuses one), sent as JSON escapes it.
    surrogate = await client.post(
        INVITES,
        content=b'{"note": "for \\ud800 Alice"}',
        headers={**bearer(token), "content-type": "application/json"},
    )
    assert_error(surrogate, 400)
    assert await listed_invites(client, token) == {}


def test_the_use_case_holds_the_note_rule_for_callers_past_the_schema():
    """An in-process caller meets the route's rule: Postgres would answer a note longer
    than its column with a 500."""
    assert invite_note("  for Alice  ") == "for Alice"
    assert invite_note(" \t ") is None  # blank once trimmed: none, however it was blank
    assert invite_note(None) is None
    for bad in ("x" * (INVITE_NOTE_MAX + 1), "for Alice\nvideo club", "nul\x00"):
        with pytest.raises(BadRequest, match="note"):
            invite_note(bad)


async def test_only_admins_with_live_tokens_manage_invites(invite_client):
    client, settings = invite_client
    token = await admin_token(client, settings)
    invite = await new_invite(client, token)
    viewer_email = new_email("viewer")
    assert (await register_with(client, invite["code"], viewer_email)).status_code == 201
    viewer = (await login(client, viewer_email)).json()["access_token"]
    some_id = invite["id"]
    calls = [
        ("POST", INVITES, {"note": "let in by a viewer"}),
        ("GET", INVITES, None),
        ("DELETE", f"{INVITES}/{some_id}", None),
    ]
    for method, url, body in calls:
        kwargs: dict[str, Any] = {"json": body} if body is not None else {}
        assert_error(await client.request(method, url, **kwargs), 401)
        assert_error(await client.request(method, url, headers=bearer(viewer), **kwargs), 403)
    # An admin token revoked by sign-out is refused everywhere.
    assert (await client.post(f"{API}/logout", headers=bearer(token))).status_code == 204
    for method, url, body in calls:
        kwargs = {"json": body} if body is not None else {}
        response = await client.request(method, url, headers=bearer(token), **kwargs)
        assert_error(response, 401, "token_revoked")
    other = await admin_token(client, settings)
    notes = [i["note"] for i in (await listed_invites(client, other)).values()]
    assert notes == [None]  # the one invite above: nothing refused was created


# --- registration throttle --------------------------------------------------------------


async def test_registrations_from_one_address_are_throttled(auth_settings_factory):
    settings = auth_settings_factory(registration_address_attempts=3)
    async with served_app(settings) as url, httpx.AsyncClient(base_url=url, timeout=60) as http:

        async def attempt(address: str, email: str | None = None) -> httpx.Response:
            body = {"email": email or new_email(), "password": PASSWORD}
            return await http.post(
                f"{API}/register", json=body, headers={"X-Forwarded-For": address}
            )

        flood = await asyncio.gather(*(attempt("203.0.113.40") for _ in range(10)))
        assert sorted(r.status_code for r in flood) == [201] * 3 + [429] * 7
        refused = next(r for r in flood if r.status_code == 429)
        assert_error(refused, 429, "registration_throttled")
        assert int(refused.headers["retry-after"]) >= 1
        # Failed attempts count too (probing for taken emails); other addresses are free.
        taken = new_email("taken")
        assert (await attempt("198.51.100.40", taken)).status_code == 201
        assert_error(await attempt("198.51.100.40", taken), 409, "email_taken")
        assert_error(await attempt("198.51.100.40", taken), 409, "email_taken")
        assert_error(await attempt("198.51.100.40"), 429, "registration_throttled")
        assert (await attempt("198.51.100.41")).status_code == 201


async def test_revoking_a_used_invite_documents_its_409(client):
    """Revoking a used invite answers 409 (``invite_used``), which the document now lists."""
    assert 409 in await documented_statuses(client, "delete", "/invites/{invite_id}")


async def test_a_class_behind_one_address_registers_with_its_invites(auth_settings_factory):
    """Each valid invite spent gives its attempt back: more invited people than the
    address's free attempts register one after another; wrong codes still count."""
    settings = auth_settings_factory(registration_mode="invite", registration_address_attempts=3)
    async with served_app(settings) as url, httpx.AsyncClient(base_url=url, timeout=60) as http:
        token = await admin_token(http, settings)
        codes = [(await new_invite(http, token))["code"] for _ in range(7)]

        async def attempt(code: str) -> httpx.Response:
            body = {"email": new_email("pupil"), "password": PASSWORD, "invite_code": code}
            return await http.post(
                f"{API}/register", json=body, headers={"X-Forwarded-For": "203.0.113.60"}
            )

        for code in codes[:6]:
            made = await attempt(code)
            assert made.status_code == 201, made.text
        for _ in range(3):
            assert_error(await attempt("wrong-code"), 403, "invalid_invite")
        assert_error(await attempt(codes[6]), 429, "registration_throttled")


async def test_usable_invites_come_first_however_many_were_used(invite_client):
    """A class's used invites must not push an older live code off the list, where no admin
    could see or revoke it."""
    client, settings = invite_client
    token = await admin_token(client, settings)
    live = await new_invite(client, token, note="still to hand over")
    for _ in range(3):
        used = await new_invite(client, token)
        assert (await register_with(client, used["code"])).status_code == 201
    newest_live = await new_invite(client, token)
    r = await client.get(INVITES, params={"limit": 2}, headers=bearer(token))
    assert r.status_code == 200, r.text
    assert [i["id"] for i in r.json()["items"]] == [newest_live["id"], live["id"]]
    everything = (await client.get(INVITES, headers=bearer(token))).json()["items"]
    assert [i["status"] for i in everything] == ["active", "active", "used", "used", "used"]
