"""The API's OpenAPI document: its security scheme, and the requirements routes declare.

Routes say who may call them in the document with ``security=BEARER`` (a signed-in user)
or ``security=OPTIONAL_BEARER`` (anyone; a bearer token, when sent, is verified).
"""

from __future__ import annotations

from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

#: The security scheme's name in ``components.securitySchemes``.
BEARER_SCHEME = "bearer"
#: A route that needs a bearer token.
BEARER: list[dict[str, list[str]]] = [{BEARER_SCHEME: []}]
#: A route open to anyone, where a bearer token, when sent, changes the answer.
OPTIONAL_BEARER: list[dict[str, list[str]]] = [{}, {BEARER_SCHEME: []}]
#: Where the document (``/openapi.json``) and its viewers are served.
DOCS_PATH = "/api/docs"


def openapi_config() -> OpenAPIConfig:
    """The document's title, version, path and the bearer security scheme."""
    return OpenAPIConfig(
        title="StreamStack",
        version="1.0.0",
        path=DOCS_PATH,
        components=Components(
            security_schemes={
                BEARER_SCHEME: SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
            }
        ),
    )
