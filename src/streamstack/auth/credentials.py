"""What a valid email, password and display name are, and their canonical forms.

Passwords follow NIST SP 800-63B: 8 to 128 characters of any Unicode (spaces and emoji
included), no composition rules, and a new password is refused when it is easy to guess:
common, a dictionary word with obvious substitutions, a keyboard walk, a repetition, or made
of the account's own email. The guessability estimate is zxcvbn's (Dropbox's estimator,
which ships its own lists of common passwords, words and names).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from anyascii import anyascii
from zxcvbn import zxcvbn

from streamstack.kernel.errors import AppError, BadRequest, Conflict
from streamstack.kernel.patterns import whole
from streamstack.kernel.text import fold

MAX_EMAIL_CHARS = 254
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 128
#: zxcvbn's score 2: at least about 10^8 guesses. Common passwords, dictionary words with
#: the usual substitutions, keyboard walks and repetitions score 0 or 1 (NIST's blocklist
#: check). Score 3 would refuse every 8-character password, since zxcvbn rates any of them,
#: even random ones, at 10^8 guesses: NIST's minimum length would then be a lie. Beyond
#: this, argon2id and the sign-in throttle do the work.
MIN_PASSWORD_SCORE = 2
#: zxcvbn's work grows faster than linearly with length; a prefix this long decides.
_ESTIMATED_CHARS = 64
MAX_DISPLAY_NAME_CHARS = 100

# ASCII addresses only (RFC 5322 dot-atom local part, LDH domain labels); a bare host
# such as ``localhost`` is allowed so that the dev admin ``admin@localhost`` is valid.
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = rf"{_LOCAL}@{_LABEL}(?:\.{_LABEL})*"
_EMAIL = re.compile(_ADDRESS)
#: What an email field may hold, as the API documents and checks it: an address in any
#: case, with white space around it (both gone in :func:`normalize_email`).
EMAIL_TEXT = whole(rf"\s*{_ADDRESS}\s*")
#: What a display name field may hold, as the API documents and checks it: no control or
#: line-separator character, no lone surrogate, no private-use character and none of the
#: format characters that can disguise a name (bidi controls, invisible separators; the
#: zero-width joiners stay, for emoji). :func:`clean_display_name` also refuses format
#: characters outside this list and unassigned code points, which no pattern can name.
DISPLAY_NAME_TEXT = whole(
    r"[^\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ue000-\uf8ff"
    r"\u00ad\u061c\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]*"
)

#: Something@something, as a reader takes an email address (no dot needed: admin@localhost).
_EMAIL_SHAPE = re.compile(r"[^\s@]@[^\s@]")
#: The words of the admins' badge (comments) and mark (reply mails), refused in others' names.
_ROLE_WORDS = frozenset({"admin", "administrator"})


class InvalidCredentialFormat(BadRequest, code="invalid_input"):
    """An email, password or display name that can never be valid."""


class DisplayNameReserved(Conflict, code="display_name_reserved"):
    """A non-admin's display name that a reader could take for an admin's."""


class DisplayNameIsEmail(BadRequest, code="display_name_email"):
    """A non-admin's display name shaped as an email address: it could pass for anyone's."""


class WeakPassword(BadRequest, code="weak_password"):
    """A new password that is too easy to guess; the detail says why."""


class SamePassword(BadRequest, code="same_password"):
    """A new password that is the current one: nothing would change but the sign-outs."""


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


def check_new_password(password: str, *, email: str, display_name: str | None) -> str:
    """:func:`check_password`, and refuse a password that is easy to guess (CPU-bound: run
    it off the event loop)."""
    normalized = check_password(password)
    local_part = email.partition("@")[0]
    hints = [email, local_part, *re.split(r"[^a-z0-9]+", local_part)]
    if display_name:
        hints += [display_name, *display_name.lower().split()]
    estimate = zxcvbn(normalized[:_ESTIMATED_CHARS], user_inputs=[h for h in hints if h])
    if estimate["score"] >= MIN_PASSWORD_SCORE:
        return normalized
    feedback = estimate["feedback"]
    reasons = [feedback["warning"], *feedback["suggestions"]]
    why = " ".join(r for r in reasons if r) or "Add another word or two."
    raise WeakPassword(f"password: too easy to guess. {why}")


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


def look_alike_key(name: str) -> str:
    """``name`` as a reader tells names apart: case and accents folded (:func:`fold`), the
    letters of other scripts spelled in Latin ones (anyascii: Cyrillic "\u0410dmin" → "admin"),
    and what is not a letter or digit dropped ("Ad-min" → "admin"); the folded name when
    nothing is left of it."""
    spelled = anyascii(fold(name)).casefold()
    return "".join(c for c in spelled if c.isalnum()) or fold(name)


def viewer_name_problem(name: str, admin_names: Iterable[str]) -> AppError | None:
    """Why a non-admin may not show ``name`` (a cleaned display name), or None: it is an
    admin's name as a reader sees it (:func:`look_alike_key`), holds the word of the admins'
    badge ("admin", as in "Bob (admin)") or is shaped as an email address."""
    spelled = anyascii(fold(name))
    if _EMAIL_SHAPE.search(spelled):
        return DisplayNameIsEmail("a display name cannot be an email address; choose another")
    key = look_alike_key(name)
    words = set(re.split(r"[^a-z0-9]+", spelled.casefold()))
    if words & _ROLE_WORDS or any(look_alike_key(admin) == key for admin in admin_names):
        return DisplayNameReserved("this name could be taken for an admin's; choose another")
    return None


def _is_invisible_control(char: str) -> bool:
    # Format characters such as bidi overrides can disguise a name; the zero-width
    # joiners are kept because emoji sequences need them.
    category = unicodedata.category(char)
    if category == "Cf":
        return char not in "\u200c\u200d"
    return category in ("Cc", "Cs", "Co", "Cn")
