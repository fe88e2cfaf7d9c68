"""The composition root: one Litestar app mounting any subset of the four modules."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence

import structlog
from litestar import Litestar
from litestar.datastructures import State
from litestar.types import ASGIApp, ControllerRouterHandler, Guard

from streamstack.kernel.authentication import Authenticator
from streamstack.kernel.backends import Backends
from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.guards import members_only
from streamstack.kernel.headers import SecurityHeadersMiddleware
from streamstack.kernel.http import EXCEPTION_HANDLERS
from streamstack.kernel.jwt import TokenVerifier, ensure_dev_keys
from streamstack.kernel.logging import RequestIdMiddleware, configure_logging
from streamstack.kernel.metrics import MetricsController, RequestMetrics
from streamstack.kernel.module import ModuleContext, ModuleDefinition, MountedModule
from streamstack.kernel.openapi import (
    StrictStructSchemaPlugin,
    document_when_built,
    openapi_config,
)
from streamstack.kernel.probes import probes_controller
from streamstack.kernel.revocation import (
    REVOCATION_TTL_SECONDS,
    REVOKED_TOKENS_BUCKET,
    RevocationList,
)
from streamstack.kernel.spa import spa_handler
from streamstack.kernel.tasks import BackgroundTask
from streamstack.kernel.transport import OperationRegistry, Transports, internal_route_handlers
from streamstack.settings import MODULE_NAMES, Settings, SettingsError

#: What a client needs before any one operation: the error shape, what to retry, signing in.
API_DESCRIPTION = (
    "Every error answers `{status, code, detail, request_id}` (the `ErrorBody` schema): "
    "branch on `code`. A 429 or 503 carries `Retry-After`: send the same request again after "
    "it; another 4xx does not change by being sent again.\n\n"
    "Sign in with `POST /api/v1/auth/login` and send the access token as "
    "`Authorization: Bearer …`; `POST /api/v1/auth/refresh` trades the refresh token for a "
    'new pair (each refresh token is used once). README\'s "Scripts and the HTTP API" says '
    "how a script keeps its sign-in, uploads safely to run again and which limits it meets."
)

log = structlog.get_logger(__name__)

#: How long one shut-down step (a task, a module hook, closing a pool) may take.
SHUTDOWN_STEP_SECONDS = 10.0


def create_app(
    settings: Settings,
    definitions: Mapping[str, ModuleDefinition] | None = None,
    *,
    clock: Clock = utcnow,
) -> Litestar:
    """Build the app for ``settings.modules`` on their backends, the time read from ``clock``."""
    configure_logging(settings.log_format, settings.log_level)
    available = dict(definitions) if definitions is not None else module_definitions()
    verifier = load_verifier(settings)
    backends = Backends(settings)
    revoked = RevocationList(backends.kv(REVOKED_TOKENS_BUCKET, REVOCATION_TTL_SECONDS))
    authenticator = Authenticator(verifier, revoked)
    registry = OperationRegistry(authenticator)
    transports = Transports(settings, registry)
    context = ModuleContext(settings, backends, transports.to, authenticator, clock)
    mounted = [mount(available, name, context, registry) for name in settings.modules]
    tasks = [task for module in mounted for task in module.tasks]
    handlers: list[ControllerRouterHandler] = [
        probes_controller(settings.modules, backends, tasks),
        MetricsController,
    ]
    handlers += [handler for module in mounted for handler in module.route_handlers]
    handlers += internal_route_handlers(registry, settings.internal_secret)
    web = settings.web_dist_dir
    if web is not None and (web / "index.html").is_file():
        handlers.append(spa_handler(web, settings.site_name))

    app = Litestar(
        route_handlers=handlers,
        lifespan=[lifecycle(settings, backends, mounted, tasks, transports)],
        exception_handlers=EXCEPTION_HANDLERS,
        guards=app_guards(settings),
        openapi_config=openapi_config(API_DESCRIPTION),
        # Before Litestar's own struct schemas, so that closed bodies are documented closed.
        plugins=[StrictStructSchemaPlugin()],
        request_max_body_size=settings.max_request_body_bytes,
        state=State(
            {
                "settings": settings,
                "backends": backends,
                "authenticator": authenticator,
                "operations": registry,
            }
        ),
        logging_config=None,
        debug=False,
    )
    document_when_built(app)
    app.asgi_handler = outermost(app.asgi_handler, settings, available.values())
    return app


def outermost(
    handler: ASGIApp, settings: Settings, definitions: Iterable[ModuleDefinition]
) -> ASGIApp:
    """``handler`` inside the request id, access line and metrics, and the security headers:
    outermost, so that router-level errors (unknown route, wrong method) carry them too.
    Request metrics and access lines are off only to measure their cost (the bench)."""
    definitions = list(definitions)
    redactions = [r for definition in definitions for r in definition.log_redactions]
    observed = settings.request_observability
    metrics = RequestMetrics("+".join(settings.modules)) if observed else None
    with_id = RequestIdMiddleware(handler, redactions, observed, metrics)
    return SecurityHeadersMiddleware(
        with_id,
        hsts_seconds=settings.hsts_seconds,
        always_https=settings.secure_cookies,
        frameable=tuple(p for definition in definitions for p in definition.frameable_pages),
        frame_ancestors=settings.embed_ancestors,
    )


def app_guards(settings: Settings) -> list[Guard]:
    """The guards on every route: on a members-only server (``guest_access`` ``none``) the
    one that asks a signed-out caller to sign in, which routes open to guests opt out of."""
    return [members_only] if settings.guest_access == "none" else []


def lifecycle(
    settings: Settings,
    backends: Backends,
    mounted: list[MountedModule],
    tasks: list[BackgroundTask],
    transports: Transports,
) -> Callable[[Litestar], contextlib.AbstractAsyncContextManager[None]]:
    """Start-up (hooks, then tasks) and bounded shut-down (tasks, hooks, pools, backends)."""

    @contextlib.asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await backends.prepare()
        for hook in [hook for module in mounted for hook in module.on_startup]:
            await hook()
        for task in tasks:
            await task.start()
        log.info("started", modules=list(settings.modules), environment=settings.environment)
        try:
            yield
        finally:
            steps: list[Callable[[], Awaitable[None]]] = [task.stop for task in tasks]
            steps += [hook for module in reversed(mounted) for hook in module.on_shutdown]
            await run_all_bounded([*steps, *transports.closers(), *backends.closers()])

    return lifespan


def module_definitions() -> dict[str, ModuleDefinition]:
    """Every module this wheel ships, by name: ``streamstack.<name>.module.MODULE``."""
    return {name: _definition(name) for name in MODULE_NAMES}


def _definition(name: str) -> ModuleDefinition:
    definition = importlib.import_module(f"streamstack.{name}.module").MODULE
    if not isinstance(definition, ModuleDefinition):
        raise TypeError(f"streamstack.{name}: MODULE is not a ModuleDefinition")
    return definition


def mount(
    available: Mapping[str, ModuleDefinition],
    name: str,
    context: ModuleContext,
    registry: OperationRegistry,
) -> MountedModule:
    """Mount module ``name`` and offer its operations."""
    if name not in available:
        raise SettingsError(f"STREAMSTACK_MODULES: unknown module {name!r}")
    module = available[name].mount(context)
    for op, handler in module.operations.items():
        registry.register(op, handler)
    return module


def load_verifier(settings: Settings) -> TokenVerifier:
    """The access-token verifier (a dev key pair is made on first start)."""
    ensure_dev_keys(settings)
    try:
        return TokenVerifier.from_file(
            settings.public_key_path, issuer=settings.jwt_issuer, audience=settings.jwt_audience
        )
    except (OSError, ValueError) as exc:
        raise SettingsError(
            f"STREAMSTACK_JWT_PUBLIC_KEY_PATH: cannot load {settings.public_key_path} ({exc})"
        ) from None


async def run_all_bounded(steps: Sequence[Callable[[], Awaitable[None]]]) -> None:
    """Run shut-down steps in order, each bounded by :data:`SHUTDOWN_STEP_SECONDS`."""
    for step in steps:
        await run_bounded(step, SHUTDOWN_STEP_SECONDS)


async def run_bounded(step: Callable[[], Awaitable[None]], seconds: float) -> None:
    """Run a shut-down step; log and leave it if it fails or outlives ``seconds``.

    A step stuck on a dead connection must not keep the process from exiting, and
    ``asyncio.wait_for`` would still wait for a task that ignores its cancellation.
    """
    task = asyncio.ensure_future(step())
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        task.cancel()
        log.warning("shutdown.step_abandoned", step=getattr(step, "__qualname__", repr(step)))
        return
    if not task.cancelled() and task.exception() is not None:
        log.warning("shutdown.step_failed", error=repr(task.exception()))
