"""The catalogue module (being built: see its issue)."""

from streamstack.kernel.module import ModuleContext, ModuleDefinition, MountedModule


def mount(context: ModuleContext) -> MountedModule:
    """Mount the catalogue module."""
    return MountedModule(name="catalogue", route_handlers=[])


MODULE = ModuleDefinition(name="catalogue", mount=mount)
