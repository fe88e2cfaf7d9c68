"""The auth module (being built: see its issue)."""

from streamstack.kernel.module import ModuleContext, ModuleDefinition, MountedModule


def mount(context: ModuleContext) -> MountedModule:
    """Mount the auth module."""
    return MountedModule(name="auth", route_handlers=[])


MODULE = ModuleDefinition(name="auth", mount=mount)
