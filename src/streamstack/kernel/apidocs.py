"""The API documentation page (``/api/docs``): Swagger UI served by the app itself.

Its scripts and styles come from the ``swagger-ui-py`` package (Swagger UI 5's release
files, which read OpenAPI 3.1 documents) and from ``apidocs_assets/`` (the start script and the page's style), all under
``/api/docs/assets/``: the page works without internet access and under the same
self-only Content-Security-Policy as every other page (no CDN, no inline script or
style). ``/api/docs/openapi.json`` and ``openapi.yaml`` are the document itself.
"""

from __future__ import annotations

import html
import importlib.util
from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin, YamlRenderPlugin
from litestar.static_files import create_static_files_router

#: Where the viewer's files are served, under the documentation path.
ASSETS_PATH = "/assets"
#: Our own files: the script that starts Swagger UI and the page's style.
_OWN_ASSETS = Path(__file__).with_name("apidocs_assets")


class SwaggerUIPage(OpenAPIRenderPlugin):
    """``/api/docs`` and ``/api/docs/swagger``: Swagger UI from the app's own files."""

    def __init__(self) -> None:
        super().__init__(path=["/", "/swagger"], favicon="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """The page: only same-origin stylesheets and scripts, no inline code."""
        assets = _assets_url(request)
        spec_url = html.escape(self.get_openapi_json_route(request), quote=True)
        return f"""<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{html.escape(openapi_schema["info"]["title"])} API</title>
    <link rel="stylesheet" href="{assets}/swagger-ui.css">
    <link rel="stylesheet" href="{assets}/docs-page.css">
    <link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
  </head>
  <body>
    <div id="swagger-ui" data-spec-url="{spec_url}"></div>
    <script src="{assets}/swagger-ui-bundle.js"></script>
    <script src="{assets}/start-swagger-ui.js"></script>
  </body>
</html>
""".encode()

    def receive_router(self, router: Router) -> None:
        """Serve Swagger UI's release files and ours beside the page."""
        router.register(
            create_static_files_router(
                path=ASSETS_PATH,
                directories=[swagger_ui_files(), _OWN_ASSETS],
                include_in_schema=False,
                name="apidocs-assets",
            )
        )


def swagger_ui_files() -> Path:
    """Swagger UI's release files (``static/`` of the ``swagger_ui`` package), found without
    importing the package: its framework adapters are of no use here."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or spec.origin is None:
        raise RuntimeError("swagger-ui-py is not installed (a dependency of streamstack)")
    return Path(spec.origin).parent / "static"


def _assets_url(request: Request[Any, Any, Any]) -> str:
    """``/api/docs/assets`` (the documentation path, wherever the app mounts it)."""
    json_route = SwaggerUIPage.get_openapi_json_route(request)
    return json_route.rsplit("/", 1)[0] + ASSETS_PATH


def render_plugins() -> list[OpenAPIRenderPlugin]:
    """The documentation's pages: Swagger UI first (the root), the JSON and YAML document."""
    return [SwaggerUIPage(), JsonRenderPlugin(), YamlRenderPlugin()]
