"""One-click unsubscribe (RFC 2369, RFC 8058) from the mail a member may turn off.

A reply mail or an admin's notice carries ``List-Unsubscribe`` naming
:data:`API_PATH` with the kind of mail (``reply_mail``, ``admin_mail``: the account's
choices, as ``PATCH /me`` names them) and a token: the account's id and the address the
mail went to, sealed with the sealing keys (``kernel/sealing.py``) and bound to the kind,
so it cannot be forged, read, or moved to another kind. A POST there turns that kind
off without a sign-in (the token proves the mail was read); a GET (a browser, or a mail
scanner fetching links) changes nothing and is sent on to the SPA's :data:`PAGE_PATH`,
whose button makes the POST. The token goes stale when the account's sign-in email
changes (the old mailbox may be someone else's now) or its key leaves the keys file.
"""

from __future__ import annotations

import urllib.parse
import uuid
from typing import Literal

import msgspec

from streamstack.kernel.sealing import SealingKeys, UnsealableSecret, is_sealed

#: The kinds of mail a member may turn off: the account's columns that say so.
MailChoice = Literal["reply_mail", "admin_mail"]
#: Where the POST turns a kind off (and a GET is sent on to the SPA's page).
API_PATH = "/api/v1/auth/unsubscribe"
#: The SPA's page that says what a link turns off, with the one button.
PAGE_PATH = "/unsubscribe"
#: The body RFC 8058 has mail providers POST.
ONE_CLICK = "One-Click"


class Unsubscription(msgspec.Struct, frozen=True):
    """What a token names: the account and the address its mail went to."""

    user_id: uuid.UUID
    email: str


def _context(kind: MailChoice) -> str:
    """What a token is bound to: it opens for its kind only."""
    return f"unsubscribe:{kind}"


def token(sealing: SealingKeys, kind: MailChoice, user_id: uuid.UUID, email: str) -> str:
    """The token that turns ``kind`` off for the account ``user_id`` mailed at ``email``."""
    plain = msgspec.json.encode(Unsubscription(user_id, email)).decode()
    return sealing.seal(plain, _context(kind))


def opened(sealing: SealingKeys, kind: MailChoice, sealed: str) -> Unsubscription | None:
    """What ``sealed`` names, or None for a token that is forged, altered, of another kind
    or sealed with a key no longer in the file."""
    if not is_sealed(sealed):
        return None  # the keys open a value never sealed as it is: a forgery here
    try:
        plain = sealing.open(sealed, _context(kind))
        return msgspec.json.decode(plain, type=Unsubscription)
    except (UnsealableSecret, msgspec.DecodeError, UnicodeDecodeError):
        return None


def query(kind: MailChoice, sealed: str) -> str:
    """The query (or fragment) naming a kind and its token."""
    return urllib.parse.urlencode({"kind": kind, "token": sealed})


class Links(msgspec.Struct, frozen=True):
    """A mail's two ways out: the address a POST to turns its kind off (its header), and
    the SPA's page that asks first (its text)."""

    post: str
    page: str


def links(origin: str, kind: MailChoice, sealed: str) -> Links:
    """The unsubscribe links of a mail of ``kind`` at ``origin`` (``STREAMSTACK_PUBLIC_URL``)."""
    named = query(kind, sealed)
    # The page's in the fragment: it never reaches a server's log, as reset links.
    return Links(post=f"{origin}{API_PATH}?{named}", page=f"{origin}{PAGE_PATH}#{named}")
