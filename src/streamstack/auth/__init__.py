"""The auth module: accounts, argon2id passwords, RS256 tokens, sessions and revocation.

Routes live under ``/api/v1/auth``. Only this module holds the private signing key; every
module verifies tokens with the public key (``streamstack.kernel.jwt``). Revoked token ids
go to the ``revoked-tokens`` bucket that other modules check.
"""

from pathlib import Path

from streamstack.auth.bootstrap import announce_dev_admin, build_service
from streamstack.auth.routes import RefreshCookie, auth_router
from streamstack.auth.schemas import PublicKeySet
from streamstack.kernel.jwt import public_jwk
from streamstack.kernel.module import ModuleContext, ModuleDefinition, MountedModule


def mount(context: ModuleContext) -> MountedModule:
    """Mount the auth module: its routes and, in dev, the first-admin start-up hook."""
    settings = context.settings
    service, issuer = build_service(settings, context.backends, context.verifier)
    router = auth_router(
        service,
        RefreshCookie(secure=settings.secure_cookies, max_age=settings.refresh_token_ttl_seconds),
        PublicKeySet(keys=[public_jwk(issuer.public_pem)]),
    )
    module = MountedModule(name="auth", route_handlers=[router])
    if settings.environment == "dev":

        async def first_admin() -> None:
            await announce_dev_admin(service)

        module.on_startup.append(first_admin)
    return module


MODULE = ModuleDefinition(
    name="auth", mount=mount, migrations=Path(__file__).resolve().parent / "migrations"
)
