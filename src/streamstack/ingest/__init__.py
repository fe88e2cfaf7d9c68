"""The ingest module (being built: see its issue)."""

from streamstack.kernel.module import ModuleContext, ModuleDefinition, MountedModule


def mount(context: ModuleContext) -> MountedModule:
    """Mount the ingest module."""
    return MountedModule(name="ingest", route_handlers=[])


MODULE = ModuleDefinition(name="ingest", mount=mount)
