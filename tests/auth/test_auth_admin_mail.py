"""Admins are mailed when a video fails to transcode or a comment is reported, end to end on
both backend kinds: the catalogue's outbox → ``media.transcode_failed`` / ``comment.reported``
→ auth's durable followers owe letters → ``auth.mail`` hands them to a real SMTP server
(aiosmtpd). Admins alone (never viewers, nor the admin who reported), the Account page's
choice (``admin_mail`` in ``PATCH /me``, admins only), a disabled admin, the quiet window of
one mail per admin per kind per ten minutes, a redelivered event and news of long ago.
"""

from __future__ import annotations

import contextlib
import datetime
import uuid
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from auth_accounts import API, PASSWORD, assert_error, bearer, new_email, signed_in
from nats.js.errors import NotFoundError
from test_auth_mail_owed import nothing_owed
from test_auth_password_reset_mail import PUBLIC_URL, mail_settings, mail_to
from test_auth_reply_mail import CATALOGUE, comment, member, settled, text_of, video

from streamstack.auth.account_mail import AccountMail
from streamstack.auth.admin_mail import AdminMail
from streamstack.auth.module import standalone_service
from streamstack.auth.reply_mail import QUIET_WINDOW, STALE_AFTER
from streamstack.contracts.catalogue import (
    COMMENT_REPORTED,
    CatalogueClient,
    CommentReported,
    NewMediaItem,
    ProcessingUpdate,
    TranscodeFailed,
)
from streamstack.kernel.events import stream_of
from streamstack.kernel.mail.smtp import SmtpMailSender
from streamstack.kernel.nats import NatsConnection
from streamstack.kernel.operation import CallContext
from streamstack.kernel.transport import InProcessTransport
from support.apps import AppClient, mint_token, running_app
from support.mail import MailServer
from support.waiting import eventually


@pytest.fixture
async def client(auth_settings_factory: Any, smtp_server: MailServer) -> Any:
    """Auth and catalogue in one app, mailing through ``smtp_server``."""
    async with mailing_app(auth_settings_factory, smtp_server) as app:
        yield app


@contextlib.asynccontextmanager
async def mailing_app(factory: Any, smtp_server: MailServer) -> AsyncIterator[AppClient]:
    """Auth and catalogue in one app, mailing through ``smtp_server``, with no earlier
    test's news left to mail."""
    settings = mail_settings(
        factory, smtp_server, modules=("auth", "catalogue"), comment_burst=1000
    )
    await forget_earlier_news(settings.nats_url)
    async with running_app(settings) as app:
        yield app


async def forget_earlier_news(nats_url: str) -> None:
    """Empty the catalogue's event stream on this test process's NATS server (production
    kind): earlier tests' reports and failures, queued for the durable follower no app of
    theirs ran, would otherwise be mailed to this test's admins."""
    if not nats_url:
        return
    connection = NatsConnection(nats_url)
    try:
        js = await connection.jetstream()
        with contextlib.suppress(NotFoundError):
            await js.purge_stream(stream_of(COMMENT_REPORTED).name)
    finally:
        await connection.close()


async def admin(client: AppClient, name: str) -> tuple[str, str, dict[str, str]]:
    """A new admin named ``name``, made the operator's way and signed in: its email, its id
    and its Authorization (made, not promoted: a promoted member is mailed a notice)."""
    email = new_email(name.lower())
    async with standalone_service(client.app.state.settings) as service:
        await service.create_admin(email, PASSWORD)
    _, pair = await signed_in(client, email)
    named = await client.patch(
        f"{API}/me", json={"display_name": name}, headers=bearer(pair["access_token"])
    )
    assert named.status_code == 200, named.text
    _, pair = await signed_in(client, email)  # tokens naming the admin
    return email, named.json()["id"], bearer(pair["access_token"])


async def failed_transcode(client: AppClient, title: str, detail: str) -> str:
    """An item registered with its transcoding queued, then failed for good with
    ``detail`` (as ingest's dead-letter hook reports it); its id."""
    settings = client.app.state.settings
    worker = CatalogueClient(InProcessTransport(client.app.state.operations))
    as_ingest = CallContext(bearer_token=mint_token(settings, role="admin", user_id="ingest"))
    item_id = str(uuid.uuid4())
    new = NewMediaItem(
        id=item_id,
        title=title,
        s3_key=f"{item_id}.mkv",
        size_bytes=1000,
        content_type="video/x-matroska",
        processing_state="queued",
        playable=False,
    )
    await worker.create_item(new, as_ingest)
    await worker.update_processing(
        ProcessingUpdate(media_id=item_id, state="failed", detail=detail)
    )
    return item_id


async def report(client: AppClient, comment_id: str, who: dict[str, str], reason: str) -> None:
    """``who`` reports the comment, giving ``reason``."""
    r = await client.post(
        f"{CATALOGUE}/comments/{comment_id}/reports", json={"reason": reason}, headers=who
    )
    assert r.status_code == 204, r.text


async def test_admins_hear_of_a_failed_transcode_and_viewers_do_not(
    client: AppClient, smtp_server: MailServer
) -> None:
    ann_email, _, _ = await admin(client, "Ann")
    ben_email, _, ben = await admin(client, "Ben")
    cas_email, cas_id, _ = await admin(client, "Cas")
    ada_email, _, _ = await member(client, "Ada")
    r = await client.patch(f"{API}/me", json={"admin_mail": False}, headers=ben)
    assert (r.status_code, r.json()["admin_mail"]) == (200, False)
    r = await client.post(f"{API}/users/{cas_id}/disable", headers=ben)
    assert r.status_code == 200, r.text
    await failed_transcode(client, 'Herons <b>at</b> "dawn"', "no video stream decodes")
    await settled(client, smtp_server, ann_email)
    mail = await mail_to(smtp_server, ann_email)
    assert mail["Subject"] == 'A video failed to transcode: "Herons <b>at</b> "dawn""'
    text = text_of(mail)
    assert '"Herons <b>at</b> "dawn""' in text
    assert "> no video stream decodes\n" in text
    assert "It does not play until it is transcoded." in text
    assert f"{PUBLIC_URL}/admin/library?processing=failed\n" in text
    assert f"on your Account page: {PUBLIC_URL}/account" in text
    for nobody in (ben_email, cas_email, ada_email):
        assert smtp_server.inbox.to(nobody) == []


async def test_admins_hear_of_a_reported_comment_but_the_reporter_does_not(
    client: AppClient, smtp_server: MailServer
) -> None:
    ann_email, _, ann = await admin(client, "Ann")
    ben_email, _, _ = await admin(client, "Ben")
    ada_email, _, ada = await member(client, "Ada")
    bob_email, _, bob = await member(client, "Bob")
    item_id = await video(client, "Herons")
    # Ann's own report mails Ben, not her.
    spam = await comment(client, item_id, ada, "cheap watches <a href=x>here</a>")
    await report(client, spam, ann, "spam")
    assert "Ben" not in text_of(await mail_to(smtp_server, ben_email))
    # Bob's, within Ben's quiet window, mails Ann alone: the one mail she gets.
    await report(client, spam, bob, "spam\nSubject: forged")
    mail = await mail_to(smtp_server, ann_email)
    assert mail["Subject"] == 'A comment was reported on "Herons"'
    text = text_of(mail)
    assert "> cheap watches <a href=x>here</a>\n" in text
    assert "The reason given: spam Subject: forged\n" in text
    assert f"{PUBLIC_URL}/admin/comments?reported=1\n" in text
    await eventually(lambda: nothing_owed(client), "nothing owed")
    assert len(smtp_server.inbox.to(ben_email)) == 1
    assert smtp_server.inbox.to(ada_email) == smtp_server.inbox.to(bob_email) == []


async def test_admin_mail_is_an_admins_choice_alone(client: AppClient) -> None:
    _, _, ada = await member(client, "Ada")
    r = await client.get(f"{API}/me", headers=ada)
    assert r.json()["admin_mail"] is True
    for body in ({"admin_mail": False}, {"admin_mail": False, "display_name": "Eve"}):
        assert_error(await client.patch(f"{API}/me", json=body, headers=ada), 403, "admins_only")
    r = await client.get(f"{API}/me", headers=ada)
    assert (r.json()["admin_mail"], r.json()["display_name"]) == (True, "Ada")
    _, _, ann = await admin(client, "Ann")
    for body in ({"admin_mail": "no"}, {"admin_mail": None}, {}):
        assert_error(await client.patch(f"{API}/me", json=body, headers=ann), 400)
    r = await client.patch(f"{API}/me", json={"admin_mail": False}, headers=ann)
    assert (r.status_code, r.json()["admin_mail"], r.json()["reply_mail"]) == (200, False, True)
    r = await client.patch(f"{API}/me", json={"admin_mail": True}, headers=ann)
    assert r.json()["admin_mail"] is True


async def test_a_burst_is_one_mail_per_admin_per_kind_per_window(
    client: AppClient, smtp_server: MailServer
) -> None:
    ann_email, _, _ = await admin(client, "Ann")
    database = client.app.state.backends.database
    sender = SmtpMailSender(smtp_server.url, "test@example.org")
    news = AdminMail(database, AccountMail(sender, PUBLIC_URL, database, site_name="StreamStack"))
    now = datetime.datetime.now(datetime.UTC)
    failed = TranscodeFailed(
        item_id=str(uuid.uuid4()),
        item_title="Herons",
        detail="out of memory",
        still_plays=True,
        link_path="/admin/library?processing=failed",
        failed_at=now,
    )
    admins = await news.record_failure(failed)  # Ann, and the dev admin where one is made
    assert admins >= 1
    assert await news.record_failure(failed) == 0  # redelivered
    for minutes in (1, 5, 9):  # a burst within ten minutes of the first
        later = now + datetime.timedelta(minutes=minutes)
        other = msgspec.structs.replace(failed, item_id=str(uuid.uuid4()), failed_at=later)
        assert await news.record_failure(other) == 0
    reported = CommentReported(
        comment_id=str(uuid.uuid4()),
        reported_by=str(uuid.uuid4()),
        item_id=failed.item_id,
        item_title="Herons",
        excerpt="spam",
        reason=None,
        link_path="/admin/comments?reported=1",
        reported_at=now + datetime.timedelta(minutes=1),
    )
    assert await news.record_report(reported) == admins  # another kind: its own window
    past = msgspec.structs.replace(failed, failed_at=now + QUIET_WINDOW)
    assert await news.record_failure(past) == admins
    stale = msgspec.structs.replace(failed, failed_at=now - STALE_AFTER - QUIET_WINDOW)
    assert await news.record_failure(stale) == 0
    await eventually(lambda: len(smtp_server.inbox.to(ann_email)) == 3, "three mails")
    await eventually(lambda: nothing_owed(client), "nothing owed")
    subjects = sorted(mail["Subject"] for mail in smtp_server.inbox.to(ann_email))
    assert subjects == [
        'A comment was reported on "Herons"',
        'A video failed to transcode: "Herons"',
        'A video failed to transcode: "Herons"',
    ]
    texts = [text_of(mail) for mail in smtp_server.inbox.to(ann_email)]
    assert sum("Viewers can still play it as it was." in text for text in texts) == 2
