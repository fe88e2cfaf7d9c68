"""Putting the auth module together, and the operator's ways to get a first admin."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator
from typing import TextIO

import structlog

from streamstack.auth.passwords import PasswordHashing
from streamstack.auth.service import DEV_ADMIN_EMAIL, AdminAccount, AuthService
from streamstack.auth.throttle import THROTTLE_BUCKET, THROTTLE_TTL_SECONDS, LoginThrottle
from streamstack.auth.tokens import TokenIssuer
from streamstack.contracts.auth import REVOCATION_TTL_SECONDS, REVOKED_TOKENS_BUCKET
from streamstack.kernel.backends import Backends
from streamstack.kernel.errors import AppError
from streamstack.kernel.jwt import TokenVerifier, ensure_dev_keypair
from streamstack.kernel.revocation import RevocationList
from streamstack.settings import Settings

log = structlog.get_logger(__name__)

# OWASP's minimum for argon2id; weaker settings are allowed (tests) but announced.
OWASP_MEMORY_KIB, OWASP_TIME_COST = 19456, 2


def build_service(
    settings: Settings, backends: Backends, verifier: TokenVerifier
) -> tuple[AuthService, TokenIssuer]:
    """The auth service on these backends, and the token issuer it signs with."""
    issuer = TokenIssuer.from_settings(settings, verifier.kid)
    if settings.argon2_memory_kib < OWASP_MEMORY_KIB or settings.argon2_time_cost < OWASP_TIME_COST:
        log.warning(
            "argon2_below_owasp_minimum",
            memory_kib=settings.argon2_memory_kib,
            time_cost=settings.argon2_time_cost,
        )
    service = AuthService(
        database=backends.database,
        revocations=RevocationList(backends.kv(REVOKED_TOKENS_BUCKET, REVOCATION_TTL_SECONDS)),
        passwords=PasswordHashing(
            memory_kib=settings.argon2_memory_kib,
            time_cost=settings.argon2_time_cost,
            parallelism=settings.argon2_parallelism,
        ),
        issuer=issuer,
        verifier=verifier,
        throttle=LoginThrottle(
            backends.kv(THROTTLE_BUCKET, THROTTLE_TTL_SECONDS),
            settings.internal_secret,
            email_attempts=settings.login_throttle_email_attempts,
            address_attempts=settings.login_throttle_address_attempts,
            max_seconds=settings.login_throttle_max_seconds,
        ),
        allow_registration=settings.allow_registration,
    )
    return service, issuer


@contextlib.asynccontextmanager
async def standalone_service(settings: Settings) -> AsyncIterator[AuthService]:
    """The auth service outside the web app (for CLI commands), closed afterwards."""
    if settings.environment == "dev":
        ensure_dev_keypair(settings.private_key_path, settings.public_key_path)
    # Operator commands sign nothing; the private key alone is enough to build the service.
    public_pem = TokenIssuer.from_settings(settings, None).public_pem
    verifier = TokenVerifier(public_pem, issuer=settings.jwt_issuer, audience=settings.jwt_audience)
    backends = Backends(settings)
    try:
        service, _ = build_service(settings, backends, verifier)
        yield service
    finally:
        await backends.close()


async def announce_dev_admin(service: AuthService, out: TextIO | None = None) -> None:
    """Dev start-up: if there is no admin, create ``admin@localhost`` and print its password."""
    password = await service.ensure_admin_exists()
    if password is None:
        return
    log.info("dev_admin_created", email=DEV_ADMIN_EMAIL)
    print(admin_banner(AdminAccount(DEV_ADMIN_EMAIL, True, password)), file=out or sys.stdout)
    (out or sys.stdout).flush()


def admin_banner(account: AdminAccount) -> str:
    """The once-only message that shows an admin's generated password."""
    rule = "=" * 64
    return "\n".join(
        [
            rule,
            f"StreamStack admin {'created' if account.created else 'updated'}",
            f"  email:    {account.email}",
            f"  password: {account.password}",
            "This password is shown once. Set your own with:",
            f"  streamstack create-admin --email {account.email} --password-stdin",
            rule,
        ]
    )


async def create_admin_command(settings: Settings, email: str, password: str | None) -> int:
    """``streamstack create-admin``: print what was done; exit status 0, or 2 on bad input."""
    try:
        async with standalone_service(settings) as service:
            account = await service.create_admin(email, password)
    except AppError as exc:
        print(f"streamstack: error: {exc.detail}", file=sys.stderr)
        return 2
    if account.password is not None:
        print(admin_banner(account))
        return 0
    done = "created" if account.created else "promoted"
    if password is not None and not account.created:
        done += "; password replaced and its sessions ended"
    print(f"{account.email} is an admin ({done})")
    return 0
