"""The composition root: one Litestar app mounting any subset of the four modules."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec
import structlog
from litestar import Litestar, Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.response import File
from litestar.types import ControllerRouterHandler

from streamstack.kernel.authentication import Authenticator
from streamstack.kernel.backends import Backends
from streamstack.kernel.errors import AppError, ErrorBody, NotFound
from streamstack.kernel.jwt import TokenVerifier, ensure_dev_keypair
from streamstack.kernel.logging import RequestIdMiddleware, configure_logging
from streamstack.kernel.metrics import MetricsController, prometheus_config
from streamstack.kernel.module import ModuleContext, ModuleDefinition, MountedModule
from streamstack.kernel.operation import Transport
from streamstack.kernel.revocation import (
    REVOCATION_TTL_SECONDS,
    REVOKED_TOKENS_BUCKET,
    RevocationList,
)
from streamstack.kernel.transport import (
    HttpTransport,
    InProcessTransport,
    OperationRegistry,
    internal_route_handlers,
)
from streamstack.settings import Settings, SettingsError

log = structlog.get_logger(__name__)


def module_definitions() -> dict[str, ModuleDefinition]:
    """Every module this wheel ships, by name."""
    from streamstack import auth, catalogue, ingest, streaming

    return {m.MODULE.name: m.MODULE for m in (auth, catalogue, streaming, ingest)}


class Health(msgspec.Struct):
    """``GET /health`` answer."""

    status: str
    modules: list[str]


class Readiness(msgspec.Struct):
    """``GET /ready`` answer: each backend the mounted modules use, and how it answered."""

    status: str
    checks: dict[str, str]


def create_app(
    settings: Settings, definitions: Mapping[str, ModuleDefinition] | None = None
) -> Litestar:
    """Build the app for ``settings.modules`` on the backends ``settings`` names."""
    configure_logging(settings.log_format, settings.log_level)
    available = dict(definitions) if definitions is not None else module_definitions()
    if settings.environment == "dev":
        ensure_dev_keypair(settings.private_key_path, settings.public_key_path)
    try:
        verifier = TokenVerifier.from_file(
            settings.public_key_path, issuer=settings.jwt_issuer, audience=settings.jwt_audience
        )
    except (OSError, ValueError) as exc:
        raise SettingsError(
            f"STREAMSTACK_JWT_PUBLIC_KEY_PATH: cannot load {settings.public_key_path} ({exc})"
        ) from None

    backends = Backends(settings)
    authenticator = Authenticator(
        verifier, RevocationList(backends.kv(REVOKED_TOKENS_BUCKET, REVOCATION_TTL_SECONDS))
    )
    registry = OperationRegistry(authenticator)
    http_transports: dict[str, HttpTransport] = {}

    def transport(module: str) -> Transport:
        if module in settings.modules:
            return InProcessTransport(registry)
        if module not in http_transports:
            url = settings.module_url(module)
            if not url:
                raise SettingsError(
                    f"STREAMSTACK_{module.upper()}_URL: needed because {module} is not mounted"
                )
            http_transports[module] = HttpTransport(
                module, url, settings.internal_secret, timeout_seconds=settings.s3_timeout_seconds
            )
        return http_transports[module]

    context = ModuleContext(settings, backends, verifier, transport, authenticator)
    mounted: list[MountedModule] = []
    for name in settings.modules:
        if name not in available:
            raise SettingsError(f"STREAMSTACK_MODULES: unknown module {name!r}")
        module = available[name].mount(context)
        for op, handler in module.operations.items():
            registry.register(op, handler)
        mounted.append(module)

    @contextlib.asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await backends.prepare()
        for module in mounted:
            for hook in module.on_startup:
                await hook()
        log.info("started", modules=list(settings.modules), environment=settings.environment)
        try:
            yield
        finally:
            steps = [hook for module in reversed(mounted) for hook in module.on_shutdown]
            steps += [http.close for http in http_transports.values()]
            steps += backends.closers()
            for step in steps:
                await run_bounded(step, SHUTDOWN_STEP_SECONDS)

    @get("/health", include_in_schema=True, tags=["operations"], sync_to_thread=False)
    def health() -> Health:
        """The process is alive."""
        return Health("ok", list(settings.modules))

    @get("/ready", tags=["operations"])
    async def ready(request: Request[Any, Any, Any]) -> Response[Any]:
        """Every backend the mounted modules use answers; 503 names the ones that do not."""
        checks = await backends.readiness()
        failing = sorted(name for name, result in checks.items() if result != "ok")
        if failing:
            body = {
                **msgspec.structs.asdict(
                    ErrorBody(
                        503,
                        "not_ready",
                        f"backend not ready: {', '.join(failing)}",
                        _request_id(request),
                    )
                ),
                "checks": checks,
            }
            return Response(body, status_code=503, headers={"Retry-After": "5"})
        return Response(Readiness("ready", checks))

    handlers: list[ControllerRouterHandler] = [health, ready, MetricsController]
    for module in mounted:
        handlers.extend(module.route_handlers)
    handlers.extend(internal_route_handlers(registry, settings.internal_secret))
    web = settings.web_dist_dir
    if web is not None and (web / "index.html").is_file():
        handlers.append(spa_handler(web))

    app = Litestar(
        route_handlers=handlers,
        lifespan=[lifespan],
        exception_handlers={
            AppError: app_error_response,
            HTTPException: http_error_response,
            Exception: unexpected_error_response,
        },
        openapi_config=OpenAPIConfig(
            title="StreamStack",
            version="1.0.0",
            path="/api/docs",
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
                }
            ),
        ),
        request_max_body_size=settings.max_request_body_bytes,
        middleware=[prometheus_config("+".join(settings.modules)).middleware],
        state=State(
            {
                "settings": settings,
                "verifier": verifier,
                "authenticator": authenticator,
                "backends": backends,
            }
        ),
        logging_config=None,
        debug=False,
    )
    # Outermost, so that router-level errors (unknown route, wrong method) carry the id too.
    app.asgi_handler = RequestIdMiddleware(app.asgi_handler)
    return app


#: How long one shut-down step (a module hook, closing a pool) may take before it is left.
SHUTDOWN_STEP_SECONDS = 10.0


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


def spa_handler(web: Path) -> ControllerRouterHandler:
    """Serve the built SPA: real files as they are, ``index.html`` for client routes."""
    root = web.resolve()

    @get(["/", "/{path:path}"], include_in_schema=False, sync_to_thread=False)
    def spa(path: str = "") -> File:
        relative = path.lstrip("/")
        if relative.startswith(("api/", "internal/")) or relative in ("api", "internal"):
            raise NotFound("no such route")
        candidate = (root / relative).resolve()
        if relative and candidate.is_file() and candidate.is_relative_to(root):
            immutable = relative.startswith("assets/")
            cache = "public, max-age=31536000, immutable" if immutable else "no-cache"
            # The filename is what Litestar guesses the media type from: without it every
            # file is application/octet-stream, which browsers download instead of running.
            return File(
                candidate,
                filename=candidate.name,
                headers={"Cache-Control": cache},
                content_disposition_type="inline",
            )
        if "." in relative.rsplit("/", 1)[-1]:
            raise NotFound("no such file")
        return File(
            root / "index.html",
            filename="index.html",
            headers={"Cache-Control": "no-cache"},
            content_disposition_type="inline",
        )

    return spa


def _request_id(request: Request[Any, Any, Any]) -> str | None:
    value = request.scope.get("streamstack.request_id")
    return value if isinstance(value, str) else None


def _error(
    request: Request[Any, Any, Any], body: ErrorBody, headers: Mapping[str, str]
) -> Response[Any]:
    return Response(
        content=msgspec.json.encode(msgspec.structs.replace(body, request_id=_request_id(request))),
        status_code=body.status,
        media_type="application/json",
        headers=dict(headers),
    )


def app_error_response(request: Request[Any, Any, Any], exc: AppError) -> Response[Any]:
    """Our own errors, in the one JSON shape."""
    return _error(request, exc.body(), exc.headers)


def http_error_response(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Litestar's errors (validation, 404, 405, 413 …) in the same shape."""
    status = exc.status_code
    if isinstance(exc, ValidationException):
        detail = _validation_detail(exc)
        return _error(request, ErrorBody(400, "validation_error", detail), {})
    code = {
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        413: "payload_too_large",
        415: "unsupported_media_type",
        429: "too_many_requests",
    }.get(status, "http_error" if status < 500 else "internal_error")
    detail = exc.detail if status < 500 else "internal server error"
    return _error(request, ErrorBody(status, code, str(detail)), exc.headers or {})


def _validation_detail(exc: ValidationException) -> str:
    extra = exc.extra
    if isinstance(extra, Sequence) and extra and isinstance(extra[0], Mapping):
        first = extra[0]
        where = first.get("key") or first.get("source") or ""
        message = str(first.get("message", exc.detail))
        return f"{message} ({where})" if where else message
    return str(exc.detail)


def unexpected_error_response(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A bug: log it with the request id, answer 500 without details."""
    log.exception("unhandled_error", path=request.url.path, error=exc.__class__.__name__)
    return _error(request, ErrorBody(500, "internal_error", "internal server error"), {})
