"""The SMTP mail adapter (stdlib ``smtplib``, each mail on a thread of its own).

URL forms (``STREAMSTACK_SMTP_URL``):

* ``smtp://[user:password@]host[:port]``: port 25 by default; STARTTLS when the server
  offers it; ``?starttls=true`` requires it (a server that does not offer it is refused,
  so credentials never cross in clear);
* ``smtps://[user:password@]host[:port]``: TLS from the first byte (port 465 by default).

User and password are percent-decoded (``%40`` for an ``@`` in a user name).
"""

from __future__ import annotations

import asyncio
import dataclasses
import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from streamstack.kernel.mail import Mail, MailRefused, MailUnavailable

#: Seconds a connection, and each command on it, may take.
SMTP_TIMEOUT_SECONDS = 15.0
_TRUE = ("1", "true", "yes", "on")


@dataclasses.dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where and how to hand mail over, read from an SMTP URL."""

    host: str
    port: int
    implicit_tls: bool
    require_starttls: bool
    user: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """Read ``smtp://`` or ``smtps://`` (see the module's note); ValueError otherwise."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("an SMTP URL is smtp://[user:password@]host[:port] or smtps://…")
        implicit_tls = parts.scheme == "smtps"
        starttls = parse_qs(parts.query).get("starttls", [""])[-1].lower() in _TRUE
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if implicit_tls else 25),
            implicit_tls=implicit_tls,
            require_starttls=starttls,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )


def refused_for_good(exc: BaseException) -> bool:
    """Whether the server answered with a permanent (5xx) refusal: of every recipient, of
    the sender or of the message. A 4xx (busy, greylisting) or no answer may pass later."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


class SmtpMailSender:
    """Sends each mail over a connection of its own (reset mails are rare)."""

    def __init__(self, url: str, sender: str) -> None:
        self.server = SmtpServer.from_url(url)
        self._sender = sender

    async def send(self, mail: Mail) -> None:
        """Hand ``mail`` to the server, off the event loop; :class:`MailUnavailable` if not."""
        message = mail.message(self._sender)
        try:
            await asyncio.to_thread(self._deliver, message)
        except (OSError, smtplib.SMTPException) as exc:
            if refused_for_good(exc):
                raise MailRefused(f"the mail server refused the mail ({exc})") from exc
            raise MailUnavailable(f"the mail server refused or did not answer ({exc})") from exc

    def where(self) -> str:
        """The server mail is handed to (never its user or password)."""
        return f"sent through {self.server.host}:{self.server.port}"

    def _deliver(self, message: EmailMessage) -> None:
        server, context = self.server, ssl.create_default_context()
        if server.implicit_tls:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                server.host, server.port, timeout=SMTP_TIMEOUT_SECONDS, context=context
            )
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=SMTP_TIMEOUT_SECONDS)
        with smtp:
            smtp.ehlo()
            if not server.implicit_tls:
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
                elif server.require_starttls:
                    raise smtplib.SMTPNotSupportedError("the server does not offer STARTTLS")
            if server.user is not None:
                smtp.login(server.user, server.password or "")
            smtp.send_message(message)
