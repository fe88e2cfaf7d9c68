"""What a valid email, password and display name are, and their canonical forms."""

from __future__ import annotations

import re
import unicodedata

from streamstack.kernel.errors import BadRequest

MAX_EMAIL_CHARS = 254
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 1024
MAX_DISPLAY_NAME_CHARS = 100

# ASCII addresses only (RFC 5322 dot-atom local part, LDH domain labels); a bare host
# such as ``localhost`` is allowed so that the dev admin ``admin@localhost`` is valid.
_LOCAL = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_EMAIL = re.compile(rf"{_LOCAL}@{_LABEL}(?:\.{_LABEL})*")


class InvalidCredentialFormat(BadRequest):
    """An email, password or display name that can never be valid."""

    code = "invalid_input"


def normalize_email(raw: str) -> str:
    """The canonical form of an email (trimmed, lower case) or :class:`InvalidCredentialFormat`."""
    email = raw.strip().lower()
    if len(email) > MAX_EMAIL_CHARS or not _EMAIL.fullmatch(email):
        raise InvalidCredentialFormat("email: not a valid email address")
    return email


def check_password(password: str) -> str:
    """The password in the form that is hashed (NFKC, as NIST SP 800-63B advises).

    Any Unicode is allowed except NUL, which C-string consumers would cut at; the length
    is counted in characters before normalisation and nothing is ever truncated.
    """
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise InvalidCredentialFormat(
            f"password: must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"
        )
    if "\x00" in password:
        raise InvalidCredentialFormat("password: must not contain NUL characters")
    return unicodedata.normalize("NFKC", password)


def clean_display_name(raw: str | None) -> str | None:
    """A trimmed display name without control characters, or None when blank."""
    if raw is None:
        return None
    name = raw.strip()
    if not name:
        return None
    if len(name) > MAX_DISPLAY_NAME_CHARS:
        raise InvalidCredentialFormat(f"display_name: at most {MAX_DISPLAY_NAME_CHARS} characters")
    if any(_is_invisible_control(c) for c in name):
        raise InvalidCredentialFormat("display_name: must not contain control characters")
    return name


def _is_invisible_control(char: str) -> bool:
    # Format characters such as bidi overrides can disguise a name; the zero-width
    # joiners are kept because emoji sequences need them.
    category = unicodedata.category(char)
    if category == "Cf":
        return char not in "\u200c\u200d"
    return category in ("Cc", "Cs", "Co", "Cn")
