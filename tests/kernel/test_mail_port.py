"""One suite for the mail port, run against the SMTP adapter (a real aiosmtpd server) and
the directory adapter (``streamstack dev``)."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest
import structlog

from streamstack.kernel.mail import Mail, MailRefused, MailSender, MailUnavailable, directory
from streamstack.kernel.mail.directory import DirectoryMailSender
from streamstack.kernel.mail.smtp import SmtpMailSender, SmtpServer
from support.mail import MailServer, mails_in, unreachable_smtp_url

SENDER = "StreamStack <no-reply@streamstack.example>"
MAIL = Mail(
    to="viewer@example.org",
    subject="Réglages: reset your password",
    text="Hello Zoë,\n\nhttps://streamstack.example/reset-password#code=abc\n",
    link="https://streamstack.example/reset-password#code=abc",
)


class Adapter:
    """A mail sender under test and a way to read what it delivered."""

    def __init__(self, sender: MailSender, delivered: Callable[[], list[EmailMessage]]) -> None:
        self.sender = sender
        self.delivered = delivered


@pytest.fixture(params=["directory", "smtp"])
def adapter(request: pytest.FixtureRequest, tmp_path: Path) -> Adapter:
    if request.param == "directory":
        directory = tmp_path / "mail"
        return Adapter(DirectoryMailSender(directory, SENDER), lambda: mails_in(directory))
    server: MailServer = request.getfixturevalue("smtp_server")
    return Adapter(SmtpMailSender(server.url, SENDER), lambda: server.inbox.mails)


async def test_a_mail_arrives_whole(adapter: Adapter) -> None:
    await adapter.sender.send(MAIL)
    (received,) = adapter.delivered()
    assert received["To"] == MAIL.to
    assert received["From"] == SENDER
    assert received["Subject"] == MAIL.subject
    body = received.get_body(("plain",))
    assert body is not None
    assert body.get_content().replace("\r\n", "\n") == MAIL.text  # SMTP carries CRLF


async def test_mails_are_kept_apart(adapter: Adapter) -> None:
    await adapter.sender.send(MAIL)
    await adapter.sender.send(Mail(to="other@example.org", subject="Second", text="two\n"))
    assert sorted(m["To"] for m in adapter.delivered()) == ["other@example.org", MAIL.to]


@pytest.mark.parametrize("kind", ["directory", "smtp"])
async def test_a_failure_to_hand_over_is_mail_unavailable(kind: str, tmp_path: Path) -> None:
    if kind == "directory":
        blocked = tmp_path / "not-a-directory"
        blocked.write_text("a file where the mail directory should be")
        sender: MailSender = DirectoryMailSender(blocked / "mail", SENDER)
    else:
        sender = SmtpMailSender(unreachable_smtp_url(), SENDER)
    with pytest.raises(MailUnavailable) as failure:
        await sender.send(MAIL)
    assert not failure.value.lasting  # a server away, a disk full: worth trying again


async def test_an_unknown_mailbox_is_refused_for_good(smtp_server: MailServer) -> None:
    smtp_server.inbox.unknown.add(MAIL.to)
    with pytest.raises(MailRefused) as refusal:
        await SmtpMailSender(smtp_server.url, SENDER).send(MAIL)
    assert refusal.value.lasting
    assert smtp_server.inbox.mails == []


async def test_the_directory_adapter_logs_the_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The module's own logger, recorded: capture_logs misses a logger an app started earlier
    # in this worker had already cached (structlog's cache_logger_on_first_use).
    recorder = structlog.testing.CapturingLogger()
    monkeypatch.setattr(directory, "log", recorder)
    await DirectoryMailSender(tmp_path, SENDER).send(MAIL)
    (written,) = [call for call in recorder.calls if call.args[0] == "mail_written"]
    assert (written.method_name, written.kwargs["link"]) == ("info", MAIL.link)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.org", SmtpServer("mail.example.org", 25, False, False, None, None)),
        (
            "smtp://u%40x:p%3Aw@mail.example.org:587?starttls=true",
            SmtpServer("mail.example.org", 587, False, True, "u@x", "p:w"),
        ),
        (
            "smtps://a:b@mail.example.org",
            SmtpServer("mail.example.org", 465, True, False, "a", "b"),
        ),
    ],
)
def test_smtp_url_forms(url: str, expected: SmtpServer) -> None:
    assert SmtpServer.from_url(url) == expected


@pytest.mark.parametrize("url", ["http://mail.example.org", "smtp://", "mail.example.org"])
def test_smtp_url_malformed(url: str) -> None:
    with pytest.raises(ValueError, match="SMTP URL"):
        SmtpServer.from_url(url)
