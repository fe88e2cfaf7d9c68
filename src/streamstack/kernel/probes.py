"""``GET /health`` (the process is alive) and ``GET /ready`` (it can serve).

Readiness runs every backend check the mounted modules registered and reports every
background task; any that is not ``ok`` makes it a 503 naming them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get

from streamstack.kernel.backends import Backends
from streamstack.kernel.errors import ErrorBody
from streamstack.kernel.guards import OPEN_TO_GUESTS
from streamstack.kernel.http import request_id
from streamstack.kernel.tasks import HEALTHY, BackgroundTask


class Health(msgspec.Struct):
    """``GET /health`` answer."""

    status: str
    modules: list[str]


class Readiness(msgspec.Struct):
    """``GET /ready`` answer: each backend and task, and how it answered."""

    status: str
    checks: dict[str, str]


def probes_controller(
    modules: Sequence[str], backends: Backends, tasks: Sequence[BackgroundTask]
) -> type[Controller]:
    """The health and readiness endpoints of a process serving ``modules``."""

    class ProbesController(Controller):
        """Liveness and readiness for orchestrators and load balancers."""

        path = "/"
        opt = OPEN_TO_GUESTS  # orchestrators probe without an account
        tags = ["operations"]

        @get("/health", sync_to_thread=False)
        def health(self) -> Health:
            """The process is alive."""
            return Health("ok", list(modules))

        @get("/ready")
        async def ready(self, request: Request[Any, Any, Any]) -> Response[Any]:
            """Every backend answers and every background task runs; 503 names the rest."""
            checks = await backends.readiness()
            checks.update({f"task:{task.name}": task.health() for task in tasks})
            failing = sorted(name for name, result in checks.items() if result != HEALTHY)
            if not failing:
                return Response(Readiness("ready", checks))
            detail = f"not ready: {', '.join(failing)}"
            body = msgspec.to_builtins(ErrorBody(503, "not_ready", detail, request_id(request)))
            return Response(
                {**body, "checks": checks}, status_code=503, headers={"Retry-After": "5"}
            )

    return ProbesController
