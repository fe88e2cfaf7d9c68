"""Secrets sealed at rest: AES-256-GCM under keys kept in a file, never in the database.

A module that must keep a secret it reads back (a TOTP secret: codes are computed from
it, so a hash will not do) stores it sealed, so a copy of the database (a
backup, a dump handed to support, a replica's disk) does not carry it. The keys live in
one file (``STREAMSTACK_SEALING_KEYS_PATH``), one base64 key of 32 bytes a line: the first
seals, every one opens, so an operator rotates by putting a new key first, restarting
(each module seals again what an older key sealed) and removing the old key later. A
sealed value names its key (the first 8 hex digits of the key's SHA-256) and is bound to
its ``context`` (say, the account it belongs to), so one copied into another row does
not open.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from streamstack.kernel.storage.private_files import write_private
from streamstack.settings import SettingsError

#: The sealed form: ``v1:<key id>:<base64url(nonce + ciphertext + tag)>``.
VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
KEY_ID_CHARS = 8
#: The environment variable naming the keys file (in errors an operator reads).
KEYS_VARIABLE = "STREAMSTACK_SEALING_KEYS_PATH"


class UnsealableSecret(Exception):
    """A sealed value no key of the file opens (its key was removed, or it was altered)."""


@dataclasses.dataclass(frozen=True, slots=True)
class SealingKey:
    """One AES-256-GCM key and its id."""

    id: str
    aead: AESGCM


def key_id(raw: bytes) -> str:
    """The id a sealed value names its key by."""
    return hashlib.sha256(raw).hexdigest()[:KEY_ID_CHARS]


class SealingKeys:
    """Seals with the first key of the file, opens with whichever key a value names."""

    def __init__(self, raw_keys: list[bytes]) -> None:
        if not raw_keys:
            raise SettingsError(f"{KEYS_VARIABLE}: the file holds no key")
        self._keys = [SealingKey(key_id(raw), AESGCM(raw)) for raw in raw_keys]
        self._by_id = {key.id: key for key in reversed(self._keys)}

    @classmethod
    def from_file(cls, path: Path) -> SealingKeys:
        """Read the keys of ``path``: one base64 (or base64url) key of 32 bytes a line;
        blank lines and ``#`` comments are skipped."""
        try:
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(unreadable_keys_file(path, exc)) from None
        raw_keys = []
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if line and not line.startswith("#"):
                raw_keys.append(_decoded_key(line, f"{path} line {number}"))
        return cls(raw_keys)

    @property
    def current_prefix(self) -> str:
        """How every value sealed with the key that seals now begins (no LIKE wildcards)."""
        return f"{VERSION}:{self._keys[0].id}:"

    def seal(self, secret: str, context: str) -> str:
        """``secret`` sealed with the first key, bound to ``context``."""
        key = self._keys[0]
        nonce = os.urandom(NONCE_BYTES)
        sealed = key.aead.encrypt(nonce, secret.encode(), context.encode())
        body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return self.current_prefix + body

    def open(self, value: str, context: str) -> str:
        """The secret ``value`` holds, sealed for ``context``; a value stored before sealing
        existed is returned as it is (see :func:`is_sealed`)."""
        if not is_sealed(value):
            return value
        _, kid, body = value.split(":", 2)
        key = self._by_id.get(kid)
        if key is None:
            raise UnsealableSecret(f"sealed with key {kid}, which is not in the keys file")
        try:
            data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            plain = key.aead.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], context.encode())
        except (ValueError, InvalidTag):
            raise UnsealableSecret(f"a value sealed with key {kid} does not open") from None
        return plain.decode()


def is_sealed(value: str) -> bool:
    """Whether ``value`` is in the sealed form (secrets stored before are not)."""
    return value.startswith(f"{VERSION}:")


def _decoded_key(text: str, where: str) -> bytes:
    """One key line's 32 bytes."""
    try:
        standard = text.replace("-", "+").replace("_", "/")
        raw = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise SettingsError(f"{KEYS_VARIABLE}: {where} is not base64") from None
    if len(raw) != KEY_BYTES:
        raise SettingsError(
            f"{KEYS_VARIABLE}: {where} holds {len(raw)} bytes, not {KEY_BYTES} "
            "(make one with `openssl rand -base64 32`)"
        )
    return raw


def unreadable_keys_file(path: Path, exc: OSError | UnicodeDecodeError) -> str:
    """What to do about a keys file that cannot be read. Never "write a new one over it":
    the file may be this server's only copy of the keys that open every two-factor secret
    (a damaged file, a permission, or the setting naming another file by mistake)."""
    keep = "do not replace it: its keys open the two-factor secrets already stored"
    if isinstance(exc, FileNotFoundError):
        return (
            f"{KEYS_VARIABLE}: there is no file {path}; point the setting at this server's "
            "keys file, or, only if this server has never had one, make it with "
            f"`openssl rand -base64 32 >> {path}`"
        )
    if isinstance(exc, UnicodeDecodeError):
        return (
            f"{KEYS_VARIABLE}: {path} is not a keys file (one base64 key a line; {exc}); "
            f"point the setting at the right file or restore it from a backup, {keep}"
        )
    return f"{KEYS_VARIABLE}: cannot read {path} ({exc}); let the service read it, {keep}"


def ensure_dev_sealing_keys(path: Path) -> None:
    """Write a keys file with one new key on first start in dev mode (file 0600)."""
    if path.exists():
        return
    key = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()
    write_private(path, f"# StreamStack sealing keys: the first seals, all open\n{key}\n".encode())
