"""One-click unsubscribe (RFC 2369, RFC 8058) on both backend kinds: a reply mail and an
admin's notice carry ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` (security notices
do not: they cannot be turned off); a POST of the form ``List-Unsubscribe=One-Click`` to
that address turns off that kind of mail alone, without a sign-in; a GET (a browser, a mail
scanner) is sent on to the SPA's page and changes nothing; a forged, altered, swapped or
stale token, or a confused client's request, is a 4xx JSON and changes nothing.
"""

from __future__ import annotations

import urllib.parse
import uuid
from email.message import EmailMessage
from typing import Any

import msgspec
import pytest
from auth_accounts import API, assert_error, bearer
from test_auth_admin_mail import admin, failed_transcode, mailing_app
from test_auth_password_reset_mail import PUBLIC_URL, mail_to
from test_auth_reply_mail import comment, member, text_of, video

from streamstack.auth import unsubscribe
from streamstack.auth.module import sealing_keys
from streamstack.kernel.sealing import KEY_BYTES, SealingKeys
from support.apps import AppClient, mint_token
from support.mail import MailServer

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
async def client(auth_settings_factory: Any, smtp_server: MailServer) -> Any:
    """Auth and catalogue in one app, mailing through ``smtp_server``."""
    async with mailing_app(auth_settings_factory, smtp_server) as app:
        yield app


def one_click_path(mail: EmailMessage) -> str:
    """The path and query of the mail's ``List-Unsubscribe``, after checking both headers."""
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = str(mail["List-Unsubscribe"])
    assert header.startswith(f"<{PUBLIC_URL}{unsubscribe.API_PATH}?") and header.endswith(">")
    return header[1:-1].removeprefix(PUBLIC_URL)


async def choices(client: AppClient, who: dict[str, str]) -> tuple[bool, bool]:
    """The account's ``reply_mail`` and ``admin_mail``."""
    r = await client.get(f"{API}/me", headers=who)
    assert r.status_code == 200, r.text
    return r.json()["reply_mail"], r.json()["admin_mail"]


def minted(client: AppClient, kind: unsubscribe.MailChoice, user_id: str, email: str) -> str:
    """A path with a token as the server mails it (sealed with the app's own keys)."""
    keys = sealing_keys(client.app.state.settings)
    sealed = unsubscribe.token(keys, kind, uuid.UUID(user_id), email)
    return f"{unsubscribe.API_PATH}?{unsubscribe.query(kind, sealed)}"


async def test_a_reply_mail_turns_reply_mail_off_in_one_click_and_a_get_changes_nothing(
    client: AppClient, smtp_server: MailServer
) -> None:
    ada_email, _, ada = await admin(client, "Ada")  # an admin: admin_mail must stay on
    _, _, bob = await member(client, "Bob")
    item_id = await video(client, "Herons")
    await comment(client, item_id, bob, "hi", await comment(client, item_id, ada, "Herons!"))
    mail = await mail_to(smtp_server, ada_email)
    path = one_click_path(mail)
    query = urllib.parse.urlsplit(path).query
    assert urllib.parse.parse_qs(query)["kind"] == ["reply_mail"]
    assert f"open {PUBLIC_URL}/unsubscribe#{query} and press the button" in text_of(mail)

    opened = await client.get(path, follow_redirects=False)  # a scanner, or a browser
    assert opened.status_code == 303, opened.text
    assert opened.headers["location"] == f"/unsubscribe#{query}"
    assert await choices(client, ada) == (True, True)

    r = await client.post(path, data=ONE_CLICK)  # as a mail provider (urlencoded)
    assert (r.status_code, r.json()) == (200, {"kind": "reply_mail"})
    assert await choices(client, ada) == (False, True)
    again = await client.post(path, data=ONE_CLICK)  # a second click: the same answer
    assert (again.status_code, again.json()) == (200, {"kind": "reply_mail"})


async def test_an_admins_notice_turns_admin_mail_off_by_multipart_one_click(
    client: AppClient, smtp_server: MailServer
) -> None:
    ann_email, _, ann = await admin(client, "Ann")
    await failed_transcode(client, "Herons", "no video stream decodes")
    path = one_click_path(await mail_to(smtp_server, ann_email))
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)["kind"] == ["admin_mail"]
    # RFC 8058 would have it sent as multipart/form-data.
    r = await client.post(path, files={"List-Unsubscribe": (None, "One-Click")})
    assert (r.status_code, r.json()) == (200, {"kind": "admin_mail"})
    assert await choices(client, ann) == (True, False)


async def test_security_notices_carry_no_unsubscribe(
    client: AppClient, smtp_server: MailServer
) -> None:
    email, user_id, _ = await member(client, "Cy")
    boss = bearer(mint_token(client.app.state.settings, role="admin"))
    r = await client.patch(f"{API}/users/{user_id}", json={"role": "admin"}, headers=boss)
    assert r.status_code == 200, r.text
    notice = await mail_to(smtp_server, email)
    assert "administrator" in notice["Subject"]
    assert notice["List-Unsubscribe"] is None and notice["List-Unsubscribe-Post"] is None


def altered(path: str) -> str:
    """``path`` with one byte of its sealed token's body changed."""
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query))
    head, body = query["token"].rsplit(":", 1)
    flipped = body[:-3] + ("A" if body[-3] != "A" else "B") + body[-2:]
    return f"{unsubscribe.API_PATH}?{unsubscribe.query('reply_mail', f'{head}:{flipped}')}"


async def test_forged_altered_or_swapped_tokens_are_refused_and_change_nothing(
    client: AppClient,
) -> None:
    email, user_id, who = await member(client, "Dee")
    other_keys = SealingKeys([b"k" * KEY_BYTES])
    in_clear = msgspec.json.encode({"user_id": user_id, "email": email}).decode()
    forged = [
        altered(minted(client, "reply_mail", user_id, email)),
        # A token of the other kind, presented as this one.
        minted(client, "admin_mail", user_id, email).replace("admin_mail", "reply_mail", 1),
        # The payload in clear, and one sealed with a key the server does not hold.
        f"{unsubscribe.API_PATH}?{unsubscribe.query('reply_mail', in_clear)}",
        f"{unsubscribe.API_PATH}?"
        + unsubscribe.query(
            "reply_mail", unsubscribe.token(other_keys, "reply_mail", uuid.UUID(user_id), email)
        ),
        f"{unsubscribe.API_PATH}?kind=reply_mail&token=nonsense",
    ]
    for path in forged:
        assert_error(await client.post(path, data=ONE_CLICK), 400, "invalid_unsubscribe_link")
    assert await choices(client, who) == (True, True)


async def test_confused_requests_are_refused_and_change_nothing(client: AppClient) -> None:
    email, user_id, who = await member(client, "Eve")
    good = minted(client, "reply_mail", user_id, email)
    token = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(good).query))["token"]
    assert_error(await client.post(good), 400, "one_click_required")
    assert_error(await client.post(good, json=ONE_CLICK), 400, "one_click_required")
    wrong = {"List-Unsubscribe": "yes"}
    assert_error(await client.post(good, data=wrong), 400, "one_click_required")
    for path in (
        f"{unsubscribe.API_PATH}?kind=everything&token={urllib.parse.quote(token)}",
        f"{unsubscribe.API_PATH}?kind=reply_mail",
        f"{unsubscribe.API_PATH}?token={urllib.parse.quote(token)}",
        f"{unsubscribe.API_PATH}?kind=reply_mail&token={'x' * 5000}",
    ):
        assert_error(await client.post(path, data=ONE_CLICK), 400)
        assert_error(await client.get(path, follow_redirects=False), 400)
    assert await choices(client, who) == (True, True)


async def test_a_stale_token_or_a_deleted_account_changes_nothing(client: AppClient) -> None:
    email, user_id, who = await member(client, "Fay")
    gus_email, gone_id, _ = await member(client, "Gus")
    gone_path = minted(client, "reply_mail", gone_id, gus_email)
    stale = minted(client, "reply_mail", user_id, email)
    boss = bearer(mint_token(client.app.state.settings, role="admin"))
    moved = {"email": f"moved-{uuid.uuid4().hex[:8]}@example.org"}
    r = await client.patch(f"{API}/users/{user_id}", json=moved, headers=boss)
    assert r.status_code == 200, r.text
    # The old mailbox may be someone else's now: its link no longer works.
    assert_error(await client.post(stale, data=ONE_CLICK), 400, "invalid_unsubscribe_link")
    assert await choices(client, who) == (True, True)
    r = await client.delete(f"{API}/users/{gone_id}", headers=boss)
    assert r.status_code == 204, r.text
    assert_error(await client.post(gone_path, data=ONE_CLICK), 404, "account_not_found")
