"""The one authenticator: who is calling, for every HTTP route and every operation.

A caller is authenticated by its access token: the RS256 signature and claims
(:class:`~streamstack.kernel.jwt.TokenVerifier`) and then one lookup of the token's ``jti``
in the revocation list. A revoked token gets 401 ``token_revoked``; when the list cannot
be read the answer is 503 (fail closed: a token that may be revoked is never honoured).

No framework here: HTTP guards and providers (:mod:`streamstack.kernel.guards`) and the
operation registry (:mod:`streamstack.kernel.transport`) both call
:meth:`Authenticator.authenticate`.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from streamstack.kernel.errors import Forbidden, Unauthorized
from streamstack.kernel.jwt import TokenVerifier
from streamstack.kernel.revocation import RevocationList

#: Who may call an operation or a route.
#:
#: * ``"user"``: any signed-in user (a valid, unrevoked access token);
#: * ``"admin"``: a signed-in user with the admin role;
#: * ``"service"``: any module, for no particular user (no token is checked; over HTTP
#:   the service secret is what admits the call).
Access = Literal["user", "admin", "service"]


class Principal(msgspec.Struct, frozen=True):
    """The verified caller: who (``user_id``, ``role``) and by which token."""

    user_id: str
    role: str
    jti: str
    token: str
    expires_at: int
    family: str | None = None
    """The login session the token was issued in (the ``fam`` claim)."""
    name: str | None = None
    """The account's display name when the token was signed (the ``name`` claim)."""
    issued_at: int = 0
    """When the token was signed (``iat``): a name it carries is as of then."""

    @property
    def is_admin(self) -> bool:
        """Whether the caller has the admin role."""
        return self.role == "admin"


class Authenticator:
    """Verifies access tokens and refuses revoked ones; shared by every module."""

    def __init__(self, verifier: TokenVerifier, revocations: RevocationList) -> None:
        self.verifier = verifier
        self.revocations = revocations

    async def authenticate(self, token: str | None) -> Principal:
        """The caller behind ``token``, or 401 (missing, invalid, revoked), or 503 (KV down)."""
        if not token:
            raise Unauthorized("a bearer token is required")
        claims = self.verifier.verify(token, "access")
        await self.revocations.check(claims.jti)
        return Principal(
            claims.sub,
            claims.role,
            claims.jti,
            token,
            claims.exp,
            claims.fam,
            claims.name,
            claims.iat,
        )

    async def authorize(self, token: str | None, access: Access) -> Principal | None:
        """The caller if ``access`` admits it (None for ``"service"``), else 401/403."""
        if access == "service":
            return None
        principal = await self.authenticate(token)
        admit(principal, access)
        return principal


def admit(principal: Principal, access: Access) -> None:
    """Raise 403 unless ``principal``'s role satisfies ``access``."""
    if access == "admin" and not principal.is_admin:
        raise Forbidden("admin role required")
