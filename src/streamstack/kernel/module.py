"""What a bounded context hands the app factory when it is mounted."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from litestar import Router
from litestar.types import ControllerRouterHandler

from streamstack.kernel.authentication import Authenticator
from streamstack.kernel.backends import Backends
from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.logging import LogRedaction
from streamstack.kernel.operation import Handler, Operation, Transport
from streamstack.kernel.tasks import BackgroundTask
from streamstack.settings import Settings

Hook = Callable[[], Awaitable[None]]


class ModuleRouter(Router):
    """A module's router: ``mount`` builds a new one for every app, so the app registers it
    as it is.

    Litestar deep-copies a router it registers, so that one router may serve several apps;
    every one of ours serves one, and the copy of its handlers was a fifth of the app
    factory's time (paid again by each of the suite's ~1,300 app start-ups). Registering one
    twice is refused rather than shared.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> ModuleRouter:
        if self.owner is not None:
            raise RuntimeError(f"router {self.path!r} is registered already: mount a new one")
        return self


@dataclasses.dataclass(frozen=True, slots=True)
class ModuleContext:
    """What the composition root gives a module to build itself from."""

    settings: Settings
    backends: Backends
    transport: Callable[[str], Transport]
    """The transport to another module by name: in-process if mounted here, else HTTP."""
    authenticator: Authenticator
    """The one authenticator: its ``verifier`` checks tokens, its ``revocations`` is the list."""
    clock: Clock = utcnow
    """What the module's use cases read the time from (a test may hold or move it)."""


@dataclasses.dataclass(slots=True)
class MountedModule:
    """A module ready to serve: its routes, operations, background tasks and hooks.

    The app runs the ``on_startup`` hooks, then starts the ``tasks``; at shut-down it
    stops the tasks, then runs the ``on_shutdown`` hooks, each step bounded in time.
    ``GET /ready`` reports every task.
    """

    name: str
    route_handlers: list[ControllerRouterHandler]
    operations: dict[Operation[Any, Any], Handler] = dataclasses.field(default_factory=dict)
    tasks: list[BackgroundTask] = dataclasses.field(default_factory=list)
    on_startup: list[Hook] = dataclasses.field(default_factory=list)
    on_shutdown: list[Hook] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True, slots=True)
class ModuleDefinition:
    """How the app factory finds a module: its name, how to mount it, its migrations.

    ``log_redactions`` hide the secrets the module puts in its URLs from the access log of
    every process (mounted or not: a misrouted request must not leak one either).
    ``frameable_pages`` are the SPA's pages of the module that other sites may frame (each
    matching a whole path; ``STREAMSTACK_EMBED_ANCESTORS`` says which sites): every other
    answer forbids framing.
    """

    name: str
    mount: Callable[[ModuleContext], MountedModule]
    migrations: Path | None = None
    log_redactions: tuple[LogRedaction, ...] = ()
    frameable_pages: tuple[re.Pattern[str], ...] = ()
