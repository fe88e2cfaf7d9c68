"""Wiring of the auth module: the only place its objects are built and connected."""

from __future__ import annotations

import contextlib
import datetime
import functools
import sys
from collections.abc import AsyncIterator, Callable
from email.headerregistry import Address
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import structlog

from streamstack.kernel.backends import Backends
from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.jwt import TokenVerifier, ensure_dev_keys, public_jwk
from streamstack.kernel.module import ModuleContext, ModuleDefinition, MountedModule
from streamstack.kernel.outbox import OutboxRelay
from streamstack.kernel.revocation import (
    REVOCATION_TTL_SECONDS,
    REVOKED_TOKENS_BUCKET,
    RevocationList,
)
from streamstack.settings import Settings

# The module's own stack (service, routes, tables, argon2, zxcvbn's dictionaries) is
# imported by the functions that build it, not with this file: every process reads MODULE
# below, and one that does not mount auth would pay ~0.2 s of CPU at start for nothing.
if TYPE_CHECKING:
    from streamstack.auth.account_mail import AccountMail
    from streamstack.auth.service import AuthService
    from streamstack.auth.tokens import TokenIssuer
    from streamstack.kernel.mail import MailSender
    from streamstack.kernel.sealing import SealingKeys

log = structlog.get_logger(__name__)

# OWASP's minimum for argon2id; weaker settings are allowed (tests) but announced.
OWASP_MEMORY_KIB, OWASP_TIME_COST = 19456, 2
#: The relay is woken after each commit that wrote an event; polling is the safety net.
RELAY_POLL_SECONDS = 5.0


def build_service(
    settings: Settings,
    backends: Backends,
    verifier: TokenVerifier,
    revocations: RevocationList,
    events_enqueued: Callable[[], None] = lambda: None,
    clock: Clock = utcnow,
    mail: AccountMail | None = None,
) -> tuple[AuthService, TokenIssuer]:
    """The auth service on these backends, reading the time from ``clock``, and the token
    issuer it signs with; ``events_enqueued`` is called after a commit that wrote to the
    outbox; ``mail`` sends its mail (None: none is sent)."""
    from streamstack.auth.contract import TokenRevocations  # (see the note at the top)
    from streamstack.auth.passwords import PasswordHashing
    from streamstack.auth.service import AuthService
    from streamstack.auth.throttle import AttemptThrottle, ThrottleLimits
    from streamstack.auth.tokens import TokenIssuer

    issuer = TokenIssuer.from_settings(settings, verifier.kid)
    if settings.argon2_memory_kib < OWASP_MEMORY_KIB or settings.argon2_time_cost < OWASP_TIME_COST:
        log.warning(
            "argon2_below_owasp_minimum",
            memory_kib=settings.argon2_memory_kib,
            time_cost=settings.argon2_time_cost,
        )
    service = AuthService(
        database=backends.database,
        sealing=sealing_keys(settings),
        revocations=TokenRevocations(revocations),
        passwords=PasswordHashing(
            memory_kib=settings.argon2_memory_kib,
            time_cost=settings.argon2_time_cost,
            parallelism=settings.argon2_parallelism,
        ),
        issuer=issuer,
        verifier=verifier,
        throttle=AttemptThrottle(
            settings.internal_secret,
            ThrottleLimits(
                email_address=settings.login_throttle_email_attempts,
                address=settings.login_throttle_address_attempts,
                account=settings.login_throttle_account_attempts,
                registration=settings.registration_address_attempts,
                max_seconds=settings.login_throttle_max_seconds,
            ),
        ),
        registration_mode=settings.registration_mode,
        guest_access=settings.guest_access,
        site_name=settings.site_name,
        refresh_grace=datetime.timedelta(seconds=settings.refresh_grace_seconds),
        events_enqueued=events_enqueued,
        clock=clock,
        mail=mail,
    )
    return service, issuer


@contextlib.asynccontextmanager
async def standalone_service(settings: Settings) -> AsyncIterator[AuthService]:
    """The auth service outside the web app (for CLI commands), closed afterwards."""
    from streamstack.auth.tokens import TokenIssuer  # (see the note at the top)

    ensure_dev_keys(settings)
    # Operator commands sign nothing; the private key alone is enough to build the service.
    public_pem = TokenIssuer.from_settings(settings, None).public_pem
    verifier = TokenVerifier(public_pem, issuer=settings.jwt_issuer, audience=settings.jwt_audience)
    async with Backends(settings) as backends:
        revocations = RevocationList(backends.kv(REVOKED_TOKENS_BUCKET, REVOCATION_TTL_SECONDS))
        # Mail it owes (a promoted member's notice) is recorded; a running server sends it.
        mail = account_mail(settings, backends)
        service, _ = build_service(settings, backends, verifier, revocations, mail=mail)
        yield service


def sealing_keys(settings: Settings) -> SealingKeys:
    """The keys sealing two-factor secrets at rest (dev makes its data directory's keys
    file on first start, never one the setting names: a typo there would seal with a new
    key and leave every stored secret unopened); a missing or malformed file stops the
    start with one line."""
    from streamstack.kernel.sealing import SealingKeys, ensure_dev_sealing_keys

    if settings.environment == "dev" and settings.sealing_keys_path is None:
        ensure_dev_sealing_keys(settings.sealing_keys_file)
    return SealingKeys.from_file(settings.sealing_keys_file)


async def seal_two_factor_secrets(service: AuthService) -> None:
    """Start-up: seal with the current key what an older key sealed or nothing did (the
    database away: the next start does; sign-ins open either meanwhile)."""
    from streamstack.kernel.errors import ServiceUnavailable

    try:
        changed = await service.seal_two_factor_secrets()
    except ServiceUnavailable as exc:
        log.warning("auth.two_factor_sealing_postponed", error=exc.detail)
        return
    if changed:
        log.info("auth.two_factor_sealed", accounts=changed)


async def announce_dev_admin(service: AuthService, data_dir: str | None = None) -> None:
    """Dev start-up: if there is no admin, create ``admin@localhost`` and print its password
    (and how to set one's own in ``data_dir``, the data directory holding the account)."""
    account = await service.ensure_admin_exists()
    if account is None:
        return
    log.info("dev_admin_created", email=account.email)
    print(account.banner(data_dir), file=sys.stdout, flush=True)


def mail_sender(settings: Settings) -> MailSender | None:
    """Where the module's mails go: the SMTP server of ``STREAMSTACK_SMTP_URL``; in dev without
    one, ``<data dir>/mail`` (once ``streamstack dev`` set the public URL); else nowhere."""
    from streamstack.kernel.mail.directory import DirectoryMailSender
    from streamstack.kernel.mail.smtp import SmtpMailSender

    host = urlsplit(settings.public_url).hostname or "localhost"
    # Address quotes the name whole (commas, quotes, brackets, a colon, accents): formataddr's
    # output, re-read as the message was built, split such a name into two addresses.
    no_reply = Address(display_name=settings.site_name, addr_spec=f"no-reply@{host}")
    sender = settings.mail_from or str(no_reply)
    if settings.smtp_url:
        return SmtpMailSender(settings.smtp_url, sender)
    if settings.environment == "dev" and settings.public_url:
        return DirectoryMailSender(settings.data_dir / "mail", sender)
    return None


def account_mail(settings: Settings, backends: Backends) -> AccountMail | None:
    """The module's mail owed and sent after the answer, or None when mail is not set up
    (then nothing is recorded either)."""
    from streamstack.auth.account_mail import AccountMail

    sender = mail_sender(settings)
    if sender is None:
        return None
    return AccountMail(sender, settings.public_url, backends.database, site_name=settings.site_name)


def mount(context: ModuleContext) -> MountedModule:
    """Mount the auth module: its routes, its event relay and, in dev, the first-admin
    start-up hook."""
    from streamstack.auth.models import AuthOutboxRow  # (see the note at the top)
    from streamstack.auth.routes import RefreshCookie, auth_router
    from streamstack.auth.schemas import PublicKeySet

    settings = context.settings
    relay = OutboxRelay(
        context.backends.database,
        context.backends.events,
        AuthOutboxRow,
        name="auth.outbox-relay",
        clock=context.clock,
    )
    relay_task = relay.task(interval_seconds=RELAY_POLL_SECONDS)
    mail = account_mail(settings, context.backends)
    service, issuer = build_service(
        settings,
        context.backends,
        context.authenticator.verifier,
        context.authenticator.revocations,
        events_enqueued=relay_task.wake,
        clock=context.clock,
        mail=mail,
    )
    router = auth_router(
        service,
        RefreshCookie(secure=settings.secure_cookies, max_age=settings.refresh_token_ttl_seconds),
        PublicKeySet(keys=[public_jwk(issuer.public_pem)]),
    )
    module = MountedModule(name="auth", route_handlers=[router], tasks=[relay_task])
    module.on_startup.append(functools.partial(seal_two_factor_secrets, service))
    if mail is not None:
        mail.writer = service.write_letter
        module.tasks.append(mail.task)
        follow_mail_news(module, context, mail)
    if settings.environment == "dev":

        async def first_admin() -> None:
            in_data_dir = None if settings.database_url else str(settings.data_dir.resolve())
            await announce_dev_admin(service, in_data_dir)

        module.on_startup.append(first_admin)
    return module


def follow_mail_news(module: MountedModule, context: ModuleContext, mail: AccountMail) -> None:
    """Have ``module`` follow what the catalogue announces that someone is mailed of
    (replies, and for admins failed transcodes and reported comments), each subject a
    background task, and owe that mail (only where mail is set up: without it nothing is
    owed, so nothing is followed)."""
    from streamstack.auth.admin_mail import AdminMail
    from streamstack.auth.reply_mail import ReplyMail
    from streamstack.kernel.tasks import BackgroundTask

    database, events = context.backends.database, context.backends.events
    followers = [
        *ReplyMail(database, mail, clock=context.clock).followers(events),
        *AdminMail(database, mail, clock=context.clock).followers(events),
    ]
    for name, follower in followers:
        module.tasks.append(
            BackgroundTask(
                name,
                follower.follow,
                interval_seconds=RELAY_POLL_SECONDS,
                retry_max_seconds=RELAY_POLL_SECONDS,
            )
        )
        module.on_startup.append(follower.try_follow)
        module.on_shutdown.append(follower.stop)


MODULE = ModuleDefinition(
    name="auth", mount=mount, migrations=Path(__file__).resolve().parent / "migrations"
)
