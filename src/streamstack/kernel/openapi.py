"""The API's OpenAPI document: its security scheme, and the requirements routes declare.

Routes say who may call them in the document with ``security=BEARER`` (a signed-in user)
or ``security=OPTIONAL_BEARER`` (anyone; a bearer token, when sent, is verified).
:func:`document_errors` documents every error answer of every operation in our one shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import msgspec
from litestar import Litestar, Router
from litestar._openapi.plugin import OpenAPIPlugin

# Litestar's own schema of a msgspec struct, which :class:`StrictStructSchemaPlugin` extends.
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.spec import (
    Components,
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    RequestBody,
    Schema,
    SecurityScheme,
)

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.typing import FieldDefinition

#: The security scheme's name in ``components.securitySchemes``.
BEARER_SCHEME = "bearer"
#: A route that needs a bearer token.
BEARER: list[dict[str, list[str]]] = [{BEARER_SCHEME: []}]
#: A route open to anyone, where a bearer token, when sent, changes the answer.
OPTIONAL_BEARER: list[dict[str, list[str]]] = [{}, {BEARER_SCHEME: []}]
#: Where the document (``/openapi.json``) and its viewers are served.
DOCS_PATH = "/api/docs"


def openapi_config(description: str) -> OpenAPIConfig:
    """The document's title, ``description`` (what a client needs before any operation),
    version, path, its pages (Swagger UI from the app's own files, no CDN) and the bearer
    security scheme."""
    from streamstack.kernel.apidocs import render_plugins
    from streamstack.kernel.guards import OPEN_TO_GUESTS

    # Open on a members-only server: the document describes the API, none of its content.
    docs = Router(
        DOCS_PATH,
        route_handlers=[],
        include_in_schema=False,
        dto=None,
        return_dto=None,
        opt=OPEN_TO_GUESTS,
    )
    return OpenAPIConfig(
        title="StreamStack",
        version="1.0.0",
        description=description,
        path=DOCS_PATH,
        openapi_router=docs,
        render_plugins=render_plugins(),
        components=Components(
            security_schemes={
                BEARER_SCHEME: SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
            }
        ),
    )


#: JSON Schema's bound keywords (msgspec's names) and the attributes Litestar sets for them.
_BOUNDS = {
    "minimum": "minimum",
    "maximum": "maximum",
    "exclusiveMinimum": "exclusive_minimum",
    "exclusiveMaximum": "exclusive_maximum",
    "minLength": "min_length",
    "maxLength": "max_length",
    "pattern": "pattern",
    "minItems": "min_items",
    "maxItems": "max_items",
}


class StrictStructSchemaPlugin(StructSchemaPlugin):
    """A msgspec struct's schema as Litestar makes it, made to say what msgspec checks.

    ``additionalProperties: false`` when the struct refuses unknown fields (an extra field
    gets a 400; JSON Schema's default allows it). ``minProperties: 1`` when every field may
    be left out (unset): such a struct is a set of changes, and an empty one changes nothing,
    which the routes refuse with a 400. And the bounds Litestar drops: a bound of
    0 (it tests the value's truth, so ``ge=0`` and ``gt=0`` vanish) and the bounds of a
    list's items (a tag's length and pattern), taken from msgspec's own schema.
    """

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        """The struct's component schema, closed when the struct forbids unknown fields."""
        schema = super().to_openapi_schema(field_definition, schema_creator)
        struct = field_definition.type_
        if struct.__struct_config__.forbid_unknown_fields:
            schema.additional_properties = False
        defaults = struct.__struct_defaults__
        all_unset = all(default is msgspec.UNSET for default in defaults)
        if all_unset and len(defaults) == len(struct.__struct_fields__) > 0:
            schema.min_properties = 1
        _, components = msgspec.json.schema_components([struct])
        checked = components[struct.__name__].get("properties", {})
        for name, documented in (schema.properties or {}).items():
            if isinstance(documented, Schema) and name in checked:
                _add_bounds(documented, checked[name])
        return schema


def _add_bounds(documented: Schema, checked: dict[str, Any]) -> None:
    """Copy onto ``documented`` the bounds of msgspec's ``checked`` that it lacks, where
    Litestar puts them (beside an optional value's ``oneOf``), and its items' bounds."""
    members = [checked, *checked.get("anyOf", [])]
    for member in members:
        _fill(documented, member)
    items = next((m["items"] for m in members if isinstance(m.get("items"), dict)), None)
    arrays = [documented, *(documented.one_of or [])]
    array = next((a for a in arrays if isinstance(a, Schema) and a.items is not None), None)
    if items is not None and array is not None and isinstance(array.items, Schema):
        _fill(array.items, items)


def _fill(documented: Schema, checked: dict[str, Any]) -> None:
    for keyword, attribute in _BOUNDS.items():
        if keyword in checked and getattr(documented, attribute) is None:
            setattr(documented, attribute, checked[keyword])


# --- the error answers -----------------------------------------------------------------

#: The component every documented error answer refers to (``kernel.errors.ErrorBody``).
ERROR_SCHEMA = "ErrorBody"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_DESCRIPTIONS = {
    400: "The request is malformed or fails validation (`validation_error` …).",
    401: "No valid access token: missing, invalid, expired or revoked (`token_revoked`).",
    403: "The caller's role may not do this.",
    404: "No such resource.",
    413: "The request body is too large.",
    415: "The request body's media type is not accepted.",
    500: "A bug on our side (`internal_error`); the request id finds it in the logs.",
    503: "A backend this request needs is down; retry after `Retry-After` seconds.",
}


def error_responses(described: Mapping[int, str]) -> dict[int, ResponseSpec]:
    """``responses=`` for the errors a route answers that :func:`document_errors` cannot
    infer (a 401 without a bearer, a 409, a 412 …): status -> when it is answered. The body
    is documented as the error shape."""
    return {
        status: ResponseSpec(data_container=None, description=description)
        for status, description in described.items()
    }


def error_body_schema() -> Schema:
    """``{status, code, detail, request_id}``, the body of every 4xx/5xx answer."""
    return Schema(
        type=OpenAPIType.OBJECT,
        title=ERROR_SCHEMA,
        description="The one error shape of every StreamStack error answer.",
        properties={
            "status": Schema(type=OpenAPIType.INTEGER, description="The HTTP status."),
            "code": Schema(type=OpenAPIType.STRING, description="A stable machine code."),
            "detail": Schema(type=OpenAPIType.STRING, description="What went wrong, for people."),
            "request_id": Schema(
                one_of=[Schema(type=OpenAPIType.STRING), Schema(type=OpenAPIType.NULL)],
                description="The request's id (also in X-Request-ID).",
            ),
            "facts": Schema(
                type=OpenAPIType.OBJECT,
                additional_properties=Schema(
                    one_of=[Schema(type=OpenAPIType.STRING), Schema(type=OpenAPIType.INTEGER)]
                ),
                description="What the error is about, for a program (`objects_not_deleted`: "
                "`key`, `reason`, `refused`); only on errors that carry some.",
            ),
        },
        required=["status", "code", "detail", "request_id"],
    )


def document_errors(openapi: OpenAPI, *, unfailing: Sequence[str] = ()) -> None:
    """Document, for every operation, each error it can answer, all in our error shape.

    What any operation can answer is derived from what it takes: 500 always; 503 unless
    its path is in ``unfailing`` (it needs no backend); 400 with parameters or a body; 413
    and 415 with a body; 404 with path parameters; 401 and 403 with a bearer. Errors a
    route documents itself (409, 416, 429 …) keep their description and get the same
    body. A ``HEAD`` answer is documented without a body.
    """
    if openapi.components is None:
        openapi.components = Components()
    openapi.components.schemas = {
        **(openapi.components.schemas or {}),
        ERROR_SCHEMA: error_body_schema(),
    }
    for path, item in (openapi.paths or {}).items():
        for method in _METHODS:
            operation: Operation | None = getattr(item, method, None)
            if operation is not None:
                _document_operation(path, method, operation, path in unfailing)


class _DocumentedOpenAPIPlugin(OpenAPIPlugin):
    """Litestar's OpenAPI plugin, documenting errors and optional bodies as it builds."""

    __slots__ = ()
    #: The paths that answer without any backend: the liveness probe.
    unfailing: ClassVar[Sequence[str]] = ("/health",)

    def _build_openapi(self) -> OpenAPI:
        openapi = super()._build_openapi()
        document_errors(openapi, unfailing=self.unfailing)
        document_optional_bodies(openapi)
        return openapi


def document_when_built(app: Litestar) -> None:
    """Have ``app``'s OpenAPI document, whenever it is built (on its first read, and again
    after a route is added), document every error (:func:`document_errors`) and optional
    body (:func:`document_optional_bodies`).

    Built on demand, not when the app is: building it was half of ``create_app``'s time
    (0.16 of 0.33 s), spent at every start of a process and every app a test makes, nearly
    none of which reads it. Litestar builds its own plugin in ``Litestar()`` and finds it by
    its exact class, so the instance takes the subclass's class (same slots) in place.
    """
    app.plugins.get(OpenAPIPlugin).__class__ = _DocumentedOpenAPIPlugin


def document_optional_bodies(openapi: OpenAPI) -> None:
    """Document a request body as optional where its handler takes ``data: X | None = None``.

    Litestar documents every body as required, but such a route answers a request without
    one (``POST /invites`` then takes its defaults); the body schema's ``null`` is the sign.
    """
    for item in (openapi.paths or {}).values():
        for method in _METHODS:
            operation: Operation | None = getattr(item, method, None)
            body = operation.request_body if operation is not None else None
            if isinstance(body, RequestBody) and all(
                _admits_null(media.schema) for media in body.content.values()
            ):
                body.required = False


def _admits_null(schema: Schema | Reference | None) -> bool:
    members = (schema.one_of or []) if isinstance(schema, Schema) else []
    return any(isinstance(m, Schema) and m.type == OpenAPIType.NULL for m in members)


def _document_operation(path: str, method: str, operation: Operation, unfailing: bool) -> None:
    responses = dict(operation.responses or {})
    statuses = {int(status) for status in responses if status.isdigit() and int(status) >= 400}
    statuses |= _statuses_of(path, operation, unfailing)
    for status in sorted(statuses):
        existing = responses.get(str(status))
        description = getattr(existing, "description", None) or _DESCRIPTIONS.get(
            status, "An error, in the error shape."
        )
        content = None
        if method != "head":
            body = OpenAPIMediaType(schema=Reference(ref=f"#/components/schemas/{ERROR_SCHEMA}"))
            content = {"application/json": body}
        responses[str(status)] = OpenAPIResponse(description=description, content=content)
    operation.responses = responses


def _statuses_of(path: str, operation: Operation, unfailing: bool) -> set[int]:
    statuses = {500} if unfailing else {500, 503}
    if operation.parameters or operation.request_body:
        statuses.add(400)
    if operation.request_body:
        statuses |= {413, 415}
    if "{" in path:
        statuses.add(404)
    if any(BEARER_SCHEME in requirement for requirement in operation.security or []):
        statuses |= {401, 403}
    return statuses
