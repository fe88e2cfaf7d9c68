"""One live invite per person, and what became of each (walk 51, F1 and F5).

An invite is not mailed to an address an account signs in with, nor to one that has an
invite still usable (409, naming it: the admin revokes that one first); once someone
registers, the other invites mailed to them are withdrawn. The list names who made each
invite and why a revoked one stopped: revoked by which admin, its maker no longer an
admin, or the person it was mailed to joined.
"""

from __future__ import annotations

import uuid
from typing import Any

from auth_accounts import (
    API,
    admin_token,
    assert_error,
    bearer,
    read_behind,
    register,
    strip_admin,
)
from jose import jwt
from sqlalchemy import update
from test_auth_account_mail import invite_settings

from streamstack.auth.models import Invite
from streamstack.kernel.db import Database
from support.apps import running_app

INVITES = f"{API}/invites"


async def mailed_invite(client: Any, token: str, email: str, note: str | None = None) -> Any:
    """A new invite mailed to ``email`` by the admin ``token``."""
    body = {"email": email} if note is None else {"email": email, "note": note}
    return await client.post(INVITES, json=body, headers=bearer(token))


async def listed(client: Any, token: str) -> dict[str, dict[str, Any]]:
    """The listed invites by id."""
    response = await client.get(INVITES, headers=bearer(token))
    assert response.status_code == 200, response.text
    return {i["id"]: i for i in response.json()["items"]}


def outcome(invite: dict[str, Any]) -> tuple[Any, ...]:
    """What the list says became of an invite, and who made it."""
    keys = ("status", "created_by_name", "revoked_by_name", "revoked_reason")
    return tuple(invite[key] for key in keys)


async def set_mailed_to(settings: Any, invite_id: str, email: str) -> None:
    """White-box: an invite mailed to ``email`` beside another (made before this release)."""
    database = Database(settings.effective_database_url)
    try:
        async with database.session() as session, session.begin():
            await session.execute(
                update(Invite).where(Invite.id == uuid.UUID(invite_id)).values(mailed_to=email)
            )
    finally:
        await database.close()


async def test_an_address_with_a_live_invite_or_an_account_gets_no_other(
    auth_settings_factory, smtp_server
):
    settings = invite_settings(auth_settings_factory, smtp_server)
    async with running_app(settings) as client:
        admin = await admin_token(client, settings)
        first = await mailed_invite(client, admin, "bob@example.org", note="Bob")
        assert first.status_code == 201, first.text
        again = await mailed_invite(client, admin, "Bob@Example.org", note="Bob again")
        body = assert_error(again, 409, "invite_pending")
        assert body["detail"].startswith("bob@example.org already has an active invite (“Bob”,")
        assert body["detail"].endswith("to send a new one, revoke that one first")
        # A link handed over is the admin's own business; another address is free.
        handed = await client.post(INVITES, json={}, headers=bearer(admin))
        assert handed.status_code == 201
        assert (await mailed_invite(client, admin, "carol@example.org")).status_code == 201
        count = "SELECT count(*) FROM auth_invites WHERE mailed_to = 'bob@example.org'"
        assert await read_behind(settings, count) == 1
        # Revoked, it makes way for a new one.
        revoked = await client.delete(f"{INVITES}/{first.json()['id']}", headers=bearer(admin))
        assert revoked.status_code == 204
        assert (await mailed_invite(client, admin, "bob@example.org")).status_code == 201
        code = handed.json()["code"]
        await register(client, "dora@example.org", display_name="Dora", invite_code=code)
        member = await mailed_invite(client, admin, "DORA@example.org")
        body = assert_error(member, 409, "invitee_is_member")
        assert body["detail"].startswith("dora@example.org (Dora) is already a member, since ")
        assert await read_behind(settings, "SELECT count(*) FROM auth_invites") == 4


async def test_joining_withdraws_the_other_invites_mailed_to_that_person(
    auth_settings_factory, smtp_server
):
    settings = invite_settings(auth_settings_factory, smtp_server)
    async with running_app(settings) as client:
        admin = await admin_token(client, settings)
        spare = (await mailed_invite(client, admin, "bob@example.org")).json()
        handed = (await client.post(INVITES, json={}, headers=bearer(admin))).json()
        other = (await mailed_invite(client, admin, "carol@example.org")).json()
        # Bob joins with the link handed over, under the address the other was mailed to.
        await register(client, "bob@example.org", invite_code=handed["code"])
        # Carol had two (made before one was refused) and joins with the second, under
        # another address: the first, mailed where the second was, is withdrawn too.
        second = (await client.post(INVITES, json={}, headers=bearer(admin))).json()
        await set_mailed_to(settings, second["id"], "carol@example.org")
        await register(client, "carol.home@example.org", invite_code=second["code"])
        invites = await listed(client, admin)
        for withdrawn in (spare, other):
            assert invites[withdrawn["id"]]["status"] == "revoked"
            assert invites[withdrawn["id"]]["revoked_reason"] == "invitee_joined"
            assert invites[withdrawn["id"]]["revoked_by"] is None


async def test_the_list_says_who_made_an_invite_and_why_it_stopped(
    auth_settings_factory, smtp_server
):
    settings = invite_settings(auth_settings_factory, smtp_server)
    async with running_app(settings) as client:
        ada = await admin_token(client, settings)
        frank = await admin_token(client, settings)
        ada_id = jwt.get_unverified_claims(ada)["sub"]
        for token, name in ((ada, "Ada"), (frank, "Frank")):
            changed = await client.patch(
                f"{API}/me", json={"display_name": name}, headers=bearer(token)
            )
            assert changed.status_code == 200, changed.text
        live = (await mailed_invite(client, ada, "live@example.org")).json()
        wrong = (await mailed_invite(client, ada, "erin@example.rog")).json()
        george = (await mailed_invite(client, frank, "george@example.org")).json()
        frank_id = jwt.get_unverified_claims(frank)["sub"]
        await client.delete(f"{INVITES}/{wrong['id']}", headers=bearer(ada))
        await strip_admin(client, ada, frank_id, "demoted")
        invites = await listed(client, ada)
        assert outcome(invites[live["id"]]) == ("active", "Ada", None, None)
        assert outcome(invites[wrong["id"]]) == ("revoked", "Ada", "Ada", "revoked_by_admin")
        assert invites[wrong["id"]]["revoked_by"] == ada_id
        demoted = ("revoked", "Frank", None, "maker_no_longer_admin")
        assert outcome(invites[george["id"]]) == demoted
        # A maker's account deleted: no name to give.
        await strip_admin(client, ada, frank_id, "deleted")
        gone = (await listed(client, ada))[george["id"]]
        assert outcome(gone) == ("revoked", None, None, "maker_no_longer_admin")
