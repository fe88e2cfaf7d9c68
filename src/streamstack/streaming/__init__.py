"""The streaming module (being built: see its issue)."""

from streamstack.kernel.module import ModuleContext, ModuleDefinition, MountedModule


def mount(context: ModuleContext) -> MountedModule:
    """Mount the streaming module."""
    return MountedModule(name="streaming", route_handlers=[])


MODULE = ModuleDefinition(name="streaming", mount=mount)
