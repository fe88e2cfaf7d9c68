"""The auth module's published language.

Events, published through auth's transactional outbox: :data:`USER_DELETED` (payload
:class:`UserDeleted`) when an account is deleted, so that modules keeping per-user data
(the catalogue's watch progress) delete theirs; :data:`USER_NAMED` (payload
:class:`UserNamed`) when an account's display name is set or changed, so that modules
showing it (the catalogue's comments) show the new one; :data:`NO_LONGER_ADMIN` (payload
:class:`NoLongerAdmin`) when an admin is demoted or disabled, so that modules keeping what
an admin made with their rights (the catalogue's share links) stop it, as a deleted
admin's with :data:`USER_DELETED`. An access token also carries the
name as of its signing (the ``name`` claim, :attr:`~streamstack.kernel.jwt.Claims.name`).

Nothing else here is called: other modules learn who is calling from the kernel's one
authenticator, which verifies the token and reads the revoked-tokens list that auth writes
(:mod:`streamstack.auth.contract`). The list itself is the kernel's
(:mod:`streamstack.kernel.revocation`).
"""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

import msgspec

from streamstack.contracts.limits import UUID_TEXT

#: An account's role (``streamstack users role`` offers these, as the API's schema does).
Role = Literal["viewer", "admin"]
#: Subject of the event published once per deleted account (stream ``AUTH_EVENTS``).
USER_DELETED = "auth.events.user.deleted"


class UserDeleted(msgspec.Struct, frozen=True):
    """Payload of :data:`USER_DELETED` (JSON): which account is gone, and when."""

    user_id: Annotated[str, msgspec.Meta(pattern=UUID_TEXT)]
    deleted_at: datetime.datetime


#: Subject of the event published when an account's display name is set, changed or cleared.
USER_NAMED = "auth.events.user.named"


class UserNamed(msgspec.Struct, frozen=True):
    """Payload of :data:`USER_NAMED` (JSON): an account's display name as of ``named_at``.

    A follower keeps the newest by ``named_at`` (events may arrive late or twice), and a
    token's ``name`` claim only when its ``iat`` is newer than the name it keeps.
    """

    user_id: Annotated[str, msgspec.Meta(pattern=UUID_TEXT)]
    display_name: str | None
    named_at: datetime.datetime


#: Subject of the event published when an admin is demoted to viewer or disabled.
NO_LONGER_ADMIN = "auth.events.user.no_longer_admin"


class NoLongerAdmin(msgspec.Struct, frozen=True):
    """Payload of :data:`NO_LONGER_ADMIN` (JSON): which account lost its admin rights, and
    when. A follower acts once however often it arrives (events may arrive twice)."""

    user_id: Annotated[str, msgspec.Meta(pattern=UUID_TEXT)]
    since: datetime.datetime
