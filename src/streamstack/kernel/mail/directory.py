"""The dev mail adapter: each mail an ``.eml`` file in a directory, its link logged."""

from __future__ import annotations

import asyncio
import datetime
import uuid
from pathlib import Path

import structlog

from streamstack.kernel.mail import Mail, MailUnavailable

log = structlog.get_logger(__name__)


class DirectoryMailSender:
    """Writes each mail to ``directory`` as ``<UTC time>-<random>.eml`` (names sort by time)."""

    def __init__(self, directory: Path, sender: str) -> None:
        self.directory = directory
        self._sender = sender

    async def send(self, mail: Mail) -> None:
        """Write the mail's file, then log where it is and its link (a developer's console)."""
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S%f")
        path = self.directory / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        data = bytes(mail.message(self._sender))
        try:
            await asyncio.to_thread(_write, path, data)
        except OSError as exc:
            raise MailUnavailable(f"could not write the mail ({exc.strerror})") from exc
        log.info("mail_written", to=mail.to, subject=mail.subject, path=str(path), link=mail.link)

    def where(self) -> str:
        """Not sent: written here, its link logged (an operator running ``dev`` for real
        people must know that no one receives them)."""
        return (
            f"not sent; each one is written to {self.directory.resolve()} as an .eml file, "
            "its link in this log"
        )


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
