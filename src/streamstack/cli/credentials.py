"""Where ``streamstack login`` keeps its sign-ins: one refresh token per server.

``$XDG_CONFIG_HOME/streamstack/credentials.json`` (``~/.config/streamstack/…`` when the
variable is unset): the folder is 0700 and the file 0600 from its first byte, replaced
atomically on every change, so another user can never read a token and a crash never
leaves half a file. A refresh token is a password-equivalent until it expires or is
revoked; ``streamstack logout`` revokes it and removes it.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from pathlib import Path

import msgspec

from streamstack.kernel.storage.private_files import private_directory, write_private
from streamstack.settings import SettingsError

#: The server of a command given none, with no sign-in to go by: ``streamstack dev``'s.
DEFAULT_SERVER = "http://127.0.0.1:8000"


class SavedLogin(msgspec.Struct, frozen=True):
    """One server's sign-in: who signed in, and the refresh token that keeps it alive."""

    email: str
    refresh_token: str


class SavedLogins:
    """The sign-ins of this user, by server base URL."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_credentials_path()

    def get(self, server: str) -> SavedLogin | None:
        """The sign-in kept for ``server``, if any."""
        return self._read().get(server_key(server))

    def put(self, server: str, login: SavedLogin) -> None:
        """Keep ``login`` for ``server`` (replacing an earlier one: tokens rotate)."""
        logins = self._read()
        logins[server_key(server)] = login
        self._write(logins)

    def remove(self, server: str) -> bool:
        """Forget ``server``'s sign-in; False when there was none."""
        logins = self._read()
        if logins.pop(server_key(server), None) is None:
            return False
        self._write(logins)
        return True

    def servers(self) -> list[str]:
        """The servers signed in to, in order."""
        return sorted(self._read())

    def _read(self) -> dict[str, SavedLogin]:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        try:
            return msgspec.json.decode(data, type=dict[str, SavedLogin])
        except msgspec.DecodeError:
            return {}  # a damaged file: signing in again rewrites it

    def _write(self, logins: dict[str, SavedLogin]) -> None:
        # The folder is ours (narrowed to 0700 even if it exists); its parents are not.
        private_directory(self.path.parent, owned=True)
        ordered = {key: logins[key] for key in sorted(logins)}
        write_private(self.path, json.dumps(msgspec.to_builtins(ordered), indent=1).encode())


def default_credentials_path() -> Path:
    """``$XDG_CONFIG_HOME/streamstack/credentials.json`` or ``~/.config/streamstack/…``."""
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "streamstack" / "credentials.json"


def server_key(server: str) -> str:
    """One spelling per server: ``http://host:8000/`` and ``http://host:8000`` are one."""
    return server.strip().rstrip("/")


#: The port a scheme means when an address names none.
DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_server(server: str) -> str:
    """The one spelling of a server address, for what is remembered by server:
    ``HTTP://Example.org:80/`` is ``http://example.org`` (the scheme and host in lower
    case, without the scheme's default port or a trailing slash; the path as given)."""
    parts = urllib.parse.urlsplit(server_key(server))
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # not a port: kept as written, the request will say so
        return server_key(server)
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    return urllib.parse.urlunsplit((scheme, netloc, parts.path.rstrip("/"), "", ""))


def chosen_server(given: str | None, logins: SavedLogins | None = None) -> str:
    """The server a command talks to: ``--server`` (or ``$STREAMSTACK_SERVER``), else the
    one server signed in to with ``streamstack login``, else :data:`DEFAULT_SERVER`; with
    sign-ins to several servers and none named, a :class:`SettingsError` naming them."""
    if given:
        return server_key(given)
    saved = (logins or SavedLogins()).servers()
    if len(saved) > 1:
        raise SettingsError(f"signed in to several servers ({', '.join(saved)}): pass --server")
    return saved[0] if saved else DEFAULT_SERVER
