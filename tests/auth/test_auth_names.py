"""Display names for the modules that show them (comments): an access token carries the
account's name as of its signing (the ``name`` claim, absent without one), and every change
of the name is announced as ``auth.events.user.named`` through auth's outbox, in the
transaction of the change, stamped with the module's clock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pyotp
import pytest
from auth_accounts import (
    API,
    PASSWORD,
    assert_error,
    bearer,
    documented_statuses,
    login,
    new_email,
    register,
    signed_in,
    signed_in_admin,
)
from jose import jwt
from sqlalchemy import text

from streamstack.contracts.auth import USER_NAMED, UserNamed
from streamstack.kernel.db import Database
from streamstack.settings import Settings
from support.apps import running_app
from support.clock import HeldClock


@pytest.fixture
def clock() -> HeldClock:
    """The app's time, held so a test knows the ``named_at`` to expect."""
    return HeldClock()


@pytest.fixture
async def client(auth_settings: Settings, clock: HeldClock) -> AsyncIterator[Any]:
    """The auth module on this test's backends, reading the time from ``clock``."""
    async with running_app(auth_settings, clock=clock) as test_client:
        yield test_client


def claims_of(pair: dict[str, Any]) -> dict[str, Any]:
    """The claims of a pair's access token (its signature is the verifier's business)."""
    claims: dict[str, Any] = jwt.get_unverified_claims(pair["access_token"])
    return claims


async def named_events(settings: Settings) -> list[UserNamed]:
    """Every ``user.named`` event auth's outbox holds (sent or not), in order."""
    database = Database(settings.effective_database_url)
    sql = "SELECT payload FROM auth_outbox WHERE subject = :subject ORDER BY seq"
    try:
        async with database.engine.connect() as connection:
            rows = (await connection.execute(text(sql), {"subject": USER_NAMED})).scalars()
            return [msgspec.json.decode(bytes(row), type=UserNamed) for row in rows]
    finally:
        await database.close()


async def announced(settings: Settings, user_id: str) -> list[UserNamed]:
    """The ``user.named`` events of ``user_id``, in order."""
    return [event for event in await named_events(settings) if event.user_id == user_id]


async def rename(client: Any, pair: dict[str, Any], name: Any) -> Any:
    """PATCH /me with ``name`` as the display name."""
    return await client.patch(
        f"{API}/me", json={"display_name": name}, headers=bearer(pair["access_token"])
    )


async def refreshed(client: Any, pair: dict[str, Any]) -> dict[str, Any]:
    """The pair a refresh of ``pair`` gives."""
    response = await client.post(f"{API}/refresh", json={"refresh_token": pair["refresh_token"]})
    assert response.status_code == 200, response.text
    fresh: dict[str, Any] = response.json()
    return fresh


async def test_tokens_carry_the_name_as_of_their_signing(client, auth_settings):
    email = new_email()
    user = await register(client, email, display_name="  Ada Lovelace ")
    response = await login(client, email)
    assert response.status_code == 200, response.text
    pair = response.json()
    assert claims_of(pair)["name"] == "Ada Lovelace"
    assert "name" not in jwt.get_unverified_claims(pair["refresh_token"])
    assert (await rename(client, pair, "Ada King")).status_code == 200
    assert claims_of(pair)["name"] == "Ada Lovelace"  # a signed token does not change
    pair = await refreshed(client, pair)
    assert claims_of(pair)["name"] == "Ada King"
    assert (await rename(client, pair, None)).status_code == 200
    pair = await refreshed(client, pair)
    assert "name" not in claims_of(pair)
    me = await client.get(f"{API}/me", headers=bearer(pair["access_token"]))
    assert me.json()["id"] == user["id"]


async def test_a_sign_in_with_a_two_factor_code_carries_the_name(client, clock):
    email = new_email()
    await register(client, email, display_name="Hedy")
    _, pair = await signed_in(client, email)
    headers = bearer(pair["access_token"])
    two_factor = f"{API}/me/two-factor"
    setup = await client.post(f"{two_factor}/setup", json={"password": PASSWORD}, headers=headers)
    app = pyotp.TOTP(setup.json()["secret"])
    enabled = await client.post(
        f"{two_factor}/enable", json={"code": app.at(clock.now)}, headers=headers
    )
    assert enabled.status_code == 200, enabled.text
    body = {"email": email, "password": PASSWORD, "code": app.at(clock.now, counter_offset=1)}
    response = await client.post(f"{API}/login", json=body)
    assert response.status_code == 200, response.text
    assert claims_of(response.json())["name"] == "Hedy"


async def test_an_account_without_a_name_gets_no_name_claim(client, auth_settings):
    _, pair = await signed_in(client)
    assert "name" not in claims_of(pair)
    assert "name" not in claims_of(await refreshed(client, pair))


async def test_the_longest_name_still_makes_a_token_the_verifier_takes(client):
    # Escaped in the token's JSON, 100 characters outside the BMP take 1,200 bytes.
    email = new_email()
    await register(client, email, display_name="\U0001f600" * 100)
    response = await login(client, email)
    assert response.status_code == 200, response.text
    pair = response.json()
    assert claims_of(pair)["name"] == "\U0001f600" * 100
    assert (await client.get(f"{API}/me", headers=bearer(pair["access_token"]))).status_code == 200


async def test_every_change_of_the_name_is_announced_with_its_time(client, auth_settings, clock):
    email = new_email()
    user = await register(client, email, display_name="Grace")
    registered = clock.now
    _, pair = await signed_in(client, email)
    clock.advance(60)
    assert (await rename(client, pair, "Grace Hopper")).status_code == 200
    changed = clock.now
    clock.advance(60)
    assert (await rename(client, pair, "  Grace Hopper  ")).status_code == 200  # the same
    assert (await rename(client, pair, "   ")).status_code == 200  # blank: removed
    cleared = clock.now
    clock.advance(60)
    assert (await rename(client, pair, None)).status_code == 200  # none already
    assert await announced(auth_settings, user["id"]) == [
        UserNamed(user["id"], "Grace", registered),
        UserNamed(user["id"], "Grace Hopper", changed),
        UserNamed(user["id"], None, cleared),
    ]


async def test_no_name_no_announcement_and_a_refused_name_changes_nothing(client, auth_settings):
    _, pair = await signed_in(client)
    user = (await client.get(f"{API}/me", headers=bearer(pair["access_token"]))).json()
    for bad in ("x" * 101, "Eve\u202e", 7, ["Eve"]):
        assert_error(await rename(client, pair, bad), 400)
    assert (await rename(client, pair, None)).status_code == 200
    me = await client.get(f"{API}/me", headers=bearer(pair["access_token"]))
    assert me.json()["display_name"] is None
    assert await announced(auth_settings, user["id"]) == []


async def test_a_registration_refused_announces_nothing(client, auth_settings):
    email = new_email()
    await register(client, email, display_name="First")
    taken = await client.post(
        f"{API}/register",
        json={"email": email, "password": PASSWORD, "display_name": "Second"},
    )
    assert_error(taken, 409, "email_taken")
    names = [event.display_name for event in await named_events(auth_settings)]
    assert "Second" not in names and "First" in names


#: Names a viewer could pass for the admin "Grace Hopper" with, as a reader sees them: case,
#: accents, Cyrillic and Greek look-alikes, fullwidth letters, separators.
GRACE_LOOK_ALIKES = (
    "grace hopper",
    "GRACE HOPPER",
    "Grâce Höpper",
    "Gr\u0430ce H\u043epper",  # Cyrillic a and o
    "Gr\u03b1ce Hopper",  # Greek alpha
    "Grace-Hopper",
    "\uff27race Hopper",  # fullwidth G
)
#: Names that could be taken for any admin's: the badge's word, an email address.
ROLE_OR_EMAIL = {
    "Admin": "display_name_reserved",
    "admin": "display_name_reserved",
    "ADM\u0130N": "display_name_reserved",  # Turkish dotted capital I
    "\u00c1dmin": "display_name_reserved",
    "\u0410dmin": "display_name_reserved",  # Cyrillic A
    "Bob (admin)": "display_name_reserved",
    "Site Administrator": "display_name_reserved",
    "admin@localhost": "display_name_email",
    "grace@example.org": "display_name_email",
    "ask me\uff20example.org": "display_name_email",  # fullwidth @
}


async def test_a_viewer_cannot_take_a_name_that_passes_for_an_admins(client, auth_settings):
    _, admin = await signed_in_admin(client, auth_settings)
    assert (await rename(client, admin, "Grace Hopper")).status_code == 200
    _, pair = await signed_in(client)
    assert (await rename(client, pair, "Ada")).status_code == 200
    user = (await client.get(f"{API}/me", headers=bearer(pair["access_token"]))).json()
    refusals = [(name, "display_name_reserved") for name in GRACE_LOOK_ALIKES]
    for name, code in [*refusals, *ROLE_OR_EMAIL.items()]:
        status = 400 if code == "display_name_email" else 409
        body = assert_error(await rename(client, pair, name), status, code)
        assert body["detail"].endswith("choose another"), body
    me = await client.get(f"{API}/me", headers=bearer(pair["access_token"]))
    assert me.json()["display_name"] == "Ada"  # nothing changed
    assert [event.display_name for event in await announced(auth_settings, user["id"])] == ["Ada"]
    for unrelated in ("Grace", "Hopper fan", "Badminton club", "@grace", "Grace Hopper 2"):
        answer = await rename(client, pair, unrelated)
        assert answer.status_code == 200, (unrelated, answer.text)


async def test_an_admin_may_take_any_name(client, auth_settings):
    _, first = await signed_in_admin(client, auth_settings)
    _, second = await signed_in_admin(client, auth_settings)
    for name in ("Admin", "\u0410dmin", "admin@localhost"):
        assert (await rename(client, first, name)).status_code == 200, name
    answer = await rename(client, second, "Admin")
    assert answer.status_code == 200, answer.text  # two admins may share one
    assert answer.json()["display_name"] == "Admin"


async def test_a_registration_with_a_name_that_passes_for_an_admins_makes_no_account(
    client, auth_settings
):
    _, admin = await signed_in_admin(client, auth_settings)
    assert (await rename(client, admin, "Grace Hopper")).status_code == 200
    email = new_email()
    for name in ("Gr\u0430ce hopper", "\u0410dmin", "admin@localhost"):
        body = {"email": email, "password": PASSWORD, "display_name": name}
        refused = await client.post(f"{API}/register", json=body)
        status = 400 if "@" in name else 409
        assert_error(refused, status)
    assert (await login(client, email)).status_code == 401  # no account was made
    assert "Gr\u0430ce hopper" not in [e.display_name for e in await named_events(auth_settings)]
    user = await register(client, email, display_name="Grace")
    assert user["display_name"] == "Grace"
    assert {400, 409} <= await documented_statuses(client, "post", "/register")
    assert {400, 409} <= await documented_statuses(client, "patch", "/me")
