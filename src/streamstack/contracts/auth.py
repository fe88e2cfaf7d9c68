"""The auth module's published language.

Events: :data:`USER_DELETED` (payload :class:`UserDeleted`) is published through auth's
transactional outbox when an admin deletes an account, so that modules keeping per-user
data (the catalogue's watch progress) delete theirs.

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
