"""A real SMTP server for tests (aiosmtpd), keeping what it receives."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from harness.servers import free_port


class Inbox:
    """The mails an SMTP server received, parsed."""

    def __init__(self) -> None:
        self.mails: list[EmailMessage] = []
        #: Addresses the server refuses for good (550), as a server without the mailbox.
        self.unknown: set[str] = set()
        #: Every recipient a client named, in order (refused ones too).
        self.recipients_asked: list[str] = []

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        """aiosmtpd's hook: take the recipient, or refuse an unknown one for good."""
        self.recipients_asked.append(address)
        if address in self.unknown:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        """aiosmtpd's hook: keep the mail."""
        content = envelope.original_content or b""
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.mails.append(parsed)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        """The mails received for ``address``."""
        return [mail for mail in self.mails if mail["To"] == address]


class MailServer:
    """An aiosmtpd server on a free local port and its :class:`Inbox`."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=free_port())

    @property
    def url(self) -> str:
        """Its ``smtp://`` URL."""
        return f"smtp://127.0.0.1:{self._controller.port}"

    def start(self) -> None:
        """Listen (on a thread of aiosmtpd's)."""
        self._controller.start()

    def stop(self) -> None:
        """Stop listening."""
        self._controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[MailServer]:
    """A real SMTP server for this test, with an empty inbox."""
    server = MailServer()
    server.start()
    yield server
    server.stop()


def mails_in(folder: Path) -> list[EmailMessage]:
    """The mails a directory mail sender (``streamstack dev``'s) wrote to ``folder``,
    oldest first."""
    mails = []
    for path in sorted(folder.glob("*.eml")):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        mails.append(parsed)
    return mails


def unreachable_smtp_url() -> str:
    """An SMTP URL nothing listens at: a mail server that is away."""
    return f"smtp://127.0.0.1:{free_port()}"
