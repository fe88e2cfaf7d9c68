"""Mail port: plain-text mail to one person.

Two adapters implement :class:`MailSender`: SMTP (:mod:`.smtp`, production; Python's
``smtplib`` run off the event loop) and a directory of ``.eml`` files (:mod:`.directory`,
``streamstack dev``: no mail server needed, and the link the mail is about is logged).
Both pass the same test suite in ``tests/kernel/test_mail_port.py``.
"""

from __future__ import annotations

import dataclasses
from email.message import EmailMessage
from typing import Protocol

from streamstack.kernel.errors import ServiceUnavailable


class MailUnavailable(ServiceUnavailable, code="mail_unavailable"):
    """The mail could not be handed over (server away, refused, disk full)."""

    #: Whether trying again cannot help: the server refused it for good (an SMTP 5xx, such
    #: as an unknown recipient), rather than being away or busy.
    lasting = False


class MailRefused(MailUnavailable):
    """The mail server refused the mail for good (a 5xx answer): it is not tried again."""

    lasting = True


@dataclasses.dataclass(frozen=True, slots=True)
class Mail:
    """One plain-text mail. ``link``: the one link it is about (the dev adapter logs it);
    ``unsubscribe``: for mail its reader may turn off, the HTTPS address a POST to which
    turns it off (RFC 8058's one click, sent as ``List-Unsubscribe``)."""

    to: str
    subject: str
    text: str
    link: str | None = None
    unsubscribe: str | None = None

    def message(self, sender: str) -> EmailMessage:
        """The mail as an RFC 5322 message from ``sender``."""
        message = EmailMessage()
        message["From"] = sender
        message["To"] = self.to
        message["Subject"] = self.subject
        if self.unsubscribe is not None:
            # RFC 2369's header, and RFC 8058's promise that a POST alone turns it off.
            message["List-Unsubscribe"] = f"<{self.unsubscribe}>"
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(self.text)
        return message


class MailSender(Protocol):
    """Hands mail over for delivery."""

    async def send(self, mail: Mail) -> None:
        """Hand ``mail`` over; raise :class:`MailUnavailable` when it could not be."""
        ...

    def where(self) -> str:
        """Where the mails go, in words, for the line a server says at start."""
        ...
