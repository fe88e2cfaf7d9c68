"""A commenter is mailed when someone replies to their comment, end to end on both backend
kinds: a reply posted in the catalogue → its outbox → ``comment.replied`` → auth's
durable follower owes a letter → ``auth.mail`` hands it to a real SMTP server (aiosmtpd).
Who is mailed (never the replier), what the mail says, the Account page's choice
(``reply_mail`` in ``PATCH /me``), a disabled account, a redelivered event and the quiet
window of one mail per account per video per ten minutes, and a reply of long ago.
"""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from typing import Any

import msgspec
import pytest
from auth_accounts import (
    API,
    assert_error,
    bearer,
    new_email,
    register,
    signed_in,
    signed_in_admin,
)
from sqlalchemy import select
from test_auth_mail_owed import nothing_owed
from test_auth_password_reset_mail import PUBLIC_URL, mail_settings, mail_to

from streamstack.auth.account_mail import AccountMail
from streamstack.auth.reply_mail import QUIET_WINDOW, STALE_AFTER, ReplyMail
from streamstack.catalogue.models import OutboxRow
from streamstack.contracts.catalogue import COMMENT_REPLIED, CommentReplied
from streamstack.kernel.mail.smtp import SmtpMailSender
from support.apps import AppClient, mint_token, running_app
from support.mail import MailServer
from support.waiting import eventually

CATALOGUE = "/api/v1/catalogue"


@pytest.fixture
async def client(auth_settings_factory: Any, smtp_server: MailServer) -> Any:
    """Auth and catalogue in one app, mailing through ``smtp_server``."""
    settings = mail_settings(
        auth_settings_factory, smtp_server, modules=("auth", "catalogue"), comment_burst=1000
    )
    async with running_app(settings) as app:
        yield app


async def member(client: AppClient, name: str) -> tuple[str, str, dict[str, str]]:
    """A new account named ``name``, signed in: its email, its id and its Authorization."""
    email = new_email(name.lower())
    user = await register(client, email, display_name=name)
    _, pair = await signed_in(client, email)
    return email, user["id"], bearer(pair["access_token"])


async def video(client: AppClient, title: str) -> str:
    """A published item titled ``title``, made by an admin; its id."""
    item_id = str(uuid.uuid4())
    body = {
        "id": item_id,
        "title": title,
        "s3_key": f"{item_id}.mp4",
        "size_bytes": 1000,
        "content_type": "video/mp4",
        "video_codec": "h264",
        "audio_codec": "aac",
    }
    admin = bearer(mint_token(client.app.state.settings, role="admin"))
    r = await client.post(f"{CATALOGUE}/", json=body, headers=admin)
    assert r.status_code == 201, r.text
    return item_id


async def comment(
    client: AppClient, item_id: str, who: dict[str, str], body: str, reply_to: str | None = None
) -> str:
    """The id of the comment (or reply to ``reply_to``) ``who`` posts on the item."""
    r = await client.post(
        f"{CATALOGUE}/{item_id}/comments", json={"body": body, "reply_to": reply_to}, headers=who
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def text_of(mail: EmailMessage) -> str:
    """The plain text of ``mail`` (SMTP carries CRLF)."""
    assert mail.get_content_type() == "text/plain"  # one plain part: nothing a client runs
    return str(mail.get_content()).replace("\r\n", "\n")


async def settled(client: AppClient, server: MailServer, sentinel: str) -> None:
    """Wait for the mail to ``sentinel`` (owed after what the test expects no mail of,
    events being handled in order), then for nothing owed."""
    await mail_to(server, sentinel)
    await eventually(lambda: nothing_owed(client), "nothing owed")


async def test_the_commenter_hears_of_a_reply_but_the_replier_does_not(
    client: AppClient, smtp_server: MailServer
) -> None:
    item_id = await video(client, 'Herons <b>at</b> "dawn"')
    ada_email, _, ada = await member(client, "Ada")
    bob_email, _, bob = await member(client, "Bob")
    question = await comment(client, item_id, ada, "at 3:12, what is that?")
    answer = await comment(client, item_id, bob, "A heron.\n<script>alert(1)</script>", question)
    mail = await mail_to(smtp_server, ada_email)
    assert mail["Subject"] == 'Bob replied to your comment on "Herons <b>at</b> "dawn""'
    text = text_of(mail)
    assert '"Herons <b>at</b> "dawn""' in text
    assert "> A heron.\n> <script>alert(1)</script>\n" in text  # quoted as typed, plain text
    assert f"{PUBLIC_URL}/watch/{item_id}?comment={answer}\n" in text  # opens at the reply
    assert f"on your Account page: {PUBLIC_URL}/account" in text
    # Ada's thanks goes to nobody: the comment is her own.
    await comment(client, item_id, ada, "Thanks!", question)
    await eventually(lambda: nothing_owed(client), "nothing owed")
    assert smtp_server.inbox.to(bob_email) == []
    assert len(smtp_server.inbox.to(ada_email)) == 1


async def test_a_reply_to_a_reply_mails_both_authors_once_each(
    client: AppClient, smtp_server: MailServer
) -> None:
    item_id = await video(client, "Herons")
    ada_email, _, ada = await member(client, "Ada")
    bob_email, _, bob = await member(client, "Bob")
    _, _, cy = await member(client, "Cy")
    question = await comment(client, item_id, ada, "what bird?")
    answer = await comment(client, item_id, ada, "(a follow-up of mine)", question)
    await comment(client, item_id, bob, "A heron.", answer)  # answers Ada's reply: Ada once
    assert "Bob replied" in (await mail_to(smtp_server, ada_email))["Subject"]
    later = await video(client, "Storks")
    top = await comment(client, later, ada, "storks!")
    bobs = await comment(client, later, bob, "white storks", top)
    await comment(client, later, cy, "agreed", bobs)  # Ada's thread, Bob's reply: both
    await eventually(lambda: len(smtp_server.inbox.to(ada_email)) == 2, "Ada's second mail")
    bobs_mail = await mail_to(smtp_server, bob_email)
    assert "Cy replied" in bobs_mail["Subject"]


async def test_an_admins_reply_is_mailed_as_an_admins_and_a_namesakes_not(
    client: AppClient, smtp_server: MailServer
) -> None:
    """Security walk F1: a viewer holding the admin's name (taken before the admin took
    it, as auth now refuses it after) was mailed as "Grace replied", as the admin was."""
    item_id = await video(client, "Herons")
    _, _, namesake = await member(client, "Grace")
    admin_email, pair = await signed_in_admin(client, client.app.state.settings)
    renamed = await client.patch(
        f"{API}/me", json={"display_name": "Grace"}, headers=bearer(pair["access_token"])
    )
    assert renamed.status_code == 200, renamed.text
    _, pair = await signed_in(client, admin_email)  # a token naming the admin Grace
    admin = bearer(pair["access_token"])
    ada_email, _, ada = await member(client, "Ada")
    cy_email, _, cy = await member(client, "Cy")
    await comment(client, item_id, admin, "Hello.", await comment(client, item_id, ada, "Hi?"))
    await comment(client, item_id, namesake, "Hello.", await comment(client, item_id, cy, "Hi?"))
    admins = await mail_to(smtp_server, ada_email)
    assert admins["Subject"] == 'Grace (admin) replied to your comment on "Herons"'
    assert 'Grace (admin) replied to your comment on "Herons":' in text_of(admins)
    namesakes = await mail_to(smtp_server, cy_email)
    assert namesakes["Subject"] == 'Grace replied to your comment on "Herons"'
    assert "(admin)" not in text_of(namesakes)


async def test_no_mail_for_one_who_turned_it_off_or_is_disabled(
    client: AppClient, smtp_server: MailServer
) -> None:
    item_id = await video(client, "Herons")
    ada_email, _, ada = await member(client, "Ada")
    dee_email, dee_id, dee = await member(client, "Dee")
    cy_email, _, cy = await member(client, "Cy")
    _, _, bob = await member(client, "Bob")
    r = await client.get(f"{API}/me", headers=ada)
    assert r.json()["reply_mail"] is True  # on by default
    r = await client.patch(f"{API}/me", json={"reply_mail": False}, headers=ada)
    assert r.status_code == 200, r.text
    assert (r.json()["reply_mail"], r.json()["display_name"]) == (False, "Ada")
    admin = bearer(mint_token(client.app.state.settings, role="admin"))
    dees = await comment(client, item_id, dee, "hello from Dee")
    r = await client.post(f"{API}/users/{dee_id}/disable", headers=admin)
    assert r.status_code == 200, r.text
    await comment(client, item_id, bob, "hi Ada", await comment(client, item_id, ada, "hi"))
    await comment(client, item_id, bob, "hi Dee", dees)
    await comment(client, item_id, bob, "hi Cy", await comment(client, item_id, cy, "hi"))
    await settled(client, smtp_server, cy_email)
    assert smtp_server.inbox.to(ada_email) == []
    assert smtp_server.inbox.to(dee_email) == []


async def test_patch_me_refuses_nonsense_and_changes_nothing(client: AppClient) -> None:
    _, _, ada = await member(client, "Ada")
    assert_error(await client.patch(f"{API}/me", json={}, headers=ada), 400)
    for body in ({"reply_mail": "no"}, {"reply_mail": None}, {"reply_mails": False}):
        assert_error(await client.patch(f"{API}/me", json=body, headers=ada), 400)
    r = await client.get(f"{API}/me", headers=ada)
    assert (r.json()["reply_mail"], r.json()["display_name"]) == (True, "Ada")
    r = await client.patch(f"{API}/me", json={"display_name": "Ada L."}, headers=ada)
    assert (r.json()["reply_mail"], r.json()["display_name"]) == (True, "Ada L.")


async def announced(client: AppClient) -> list[CommentReplied]:
    """Every ``comment.replied`` the catalogue's outbox holds, oldest first."""
    async with client.app.state.backends.database.unit_of_work() as session:
        rows = await session.scalars(
            select(OutboxRow).where(OutboxRow.subject == COMMENT_REPLIED).order_by(OutboxRow.seq)
        )
        return [msgspec.json.decode(row.payload, type=CommentReplied) for row in rows]


async def test_a_flood_of_replies_or_a_redelivered_event_mails_once(
    client: AppClient, smtp_server: MailServer
) -> None:
    item_id = await video(client, "Herons")
    ada_email, _, ada = await member(client, "Ada")
    cy_email, _, cy = await member(client, "Cy")
    _, _, bob = await member(client, "Bob")
    question = await comment(client, item_id, ada, "what bird?")
    for n in range(4):  # within ten minutes: one mail
        await comment(client, item_id, bob, f"reply {n}", question)
    await comment(client, item_id, bob, "hi Cy", await comment(client, item_id, cy, "hi"))
    await settled(client, smtp_server, cy_email)
    (mail,) = smtp_server.inbox.to(ada_email)
    assert "> reply 0\n" in text_of(mail)
    # The first event again (as the bus redelivers one whose handling it did not hear of):
    # nothing owed. Past the window, a reply is mailed again.
    first = (await announced(client))[0]
    database = client.app.state.backends.database
    sender = SmtpMailSender(smtp_server.url, "test@example.org")
    replies = ReplyMail(
        database, AccountMail(sender, PUBLIC_URL, database, site_name="StreamStack")
    )
    assert await replies.record(first) == 0
    later = msgspec.structs.replace(
        first, reply_id=str(uuid.uuid4()), replied_at=first.replied_at + QUIET_WINDOW
    )
    assert await replies.record(later) == 1
    assert await replies.record(later) == 0
    # A reply of long ago (mail turned on since, auth away for days) is news no more.
    elsewhere = {"reply_id": str(uuid.uuid4()), "item_id": str(uuid.uuid4())}  # no window
    stale = msgspec.structs.replace(first, **elsewhere, replied_at=first.replied_at - STALE_AFTER)
    assert await replies.record(stale) == 0
    await eventually(lambda: len(smtp_server.inbox.to(ada_email)) == 2, "the mail past the window")
    await eventually(lambda: nothing_owed(client), "nothing owed")
    assert len(smtp_server.inbox.to(ada_email)) == 2
