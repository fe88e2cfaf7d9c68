"""The one way a module hands objects to its route handlers: Litestar dependencies.

``module.py`` builds the module's objects once; its router gets them with
:func:`provide_values`, and the caller's identity with :data:`CALLER`::

    ModuleRouter(path=..., route_handlers=[...],
           dependencies={**provide_values(service=service), **CALLER})

A handler then names the parameter (``service: NamedDependency[MyService]``).
"""

from __future__ import annotations

from typing import Any

from litestar.di import Provide

from streamstack.kernel.guards import optional_principal, provide_call_context, provide_principal


def provide_value(value: Any) -> Provide:
    """A dependency that is always ``value`` (built once, at mount time)."""

    def provide() -> Any:
        return value

    return Provide(provide, sync_to_thread=False, use_cache=True)


def provide_values(**values: Any) -> dict[str, Provide]:
    """One :func:`provide_value` dependency per keyword: ``name -> value``."""
    return {name: provide_value(value) for name, value in values.items()}


#: The caller's identity, by parameter name: ``principal`` (signed in, else 401), ``viewer``
#: (optional sign-in: None when anonymous) and ``call_context`` (what to forward to another
#: module). Each authenticates at most once per request.
CALLER: dict[str, Provide] = {
    "principal": Provide(provide_principal),
    "viewer": Provide(optional_principal),
    "call_context": Provide(provide_call_context),
}
