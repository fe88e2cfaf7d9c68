"""What the API answers anyone but an admin names no object key and no uploader.

The operations are not listed by hand: every operation of the app's OpenAPI document whose
route does not require the admin role (public ones, and those for any signed-in user) is
one a viewer can call. Every schema its answers may take, errors included, is followed
through references, arrays, maps and unions, and none may have a property named like a
storage key or an account that made something. A route or a field added later is covered
without touching this file; ``tests/catalogue/test_catalogue_privacy.py`` checks the
answers themselves, route by route, on both backend kinds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from streamstack.app import create_app
from streamstack.contracts.catalogue import CatalogueItem, ItemShown
from streamstack.kernel.guards import requires_admin
from support.apps import make_settings

#: Names of internals: object keys (``s3_key``, ``thumbnail_s3_key``, any ``…_key``), and
#: who made or owns something (``created_by``, ``uploaded_by``, ``owner_id`` …).
INTERNAL = re.compile(r"(^|_)s3(_|$)|(^|_)key$|_by$|^owner")
#: Operations a viewer uses to browse and watch: if the walk no longer found them, it
#: would check nothing.
VIEWER_OPERATIONS = {
    ("get", "/api/v1/catalogue"),
    ("get", "/api/v1/catalogue/{item_id}"),
    ("get", "/api/v1/catalogue/{item_id}/related"),
    ("get", "/api/v1/catalogue/me/continue-watching"),
    ("get", "/api/v1/catalogue/me/history"),
    ("get", "/api/v1/catalogue/me/likes"),
    ("get", "/api/v1/catalogue/me/playlists/{playlist_id}"),
    ("post", "/api/v1/catalogue/{item_id}/stream-token"),
    ("get", "/api/v1/auth/me"),
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Litestar:
    """Every module mounted (built only: describing the routes needs nothing started)."""
    data_dir: Path = tmp_path_factory.mktemp("privacy") / "data"
    return create_app(make_settings("embedded", data_dir))


def admin_only(app: Litestar) -> dict[tuple[str, str], bool]:
    """Each route's (method, OpenAPI path) → whether it requires the admin role."""
    found: dict[tuple[str, str], bool] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        path = re.sub(r"\{(\w+):[^}]+\}", r"{\1}", route.path)
        for handler in route.route_handlers:
            admin = requires_admin in handler.resolve_guards()
            for method in handler.http_methods:
                found[(method.lower(), path)] = admin
    return found


def answer_schemas(
    document: dict[str, Any], admin: dict[tuple[str, str], bool]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each schema an operation a non-admin may call answers with, named by the operation."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            assert (method, path) in admin, f"no route found for {method} {path}"
            if admin[(method, path)]:
                continue
            for status, response in operation["responses"].items():
                for media in response.get("content", {}).values():
                    yield f"{method.upper()} {path} {status}", media.get("schema", {})


def properties(
    schema: dict[str, Any], components: dict[str, Any], seen: set[str]
) -> Iterator[tuple[str, str]]:
    """Every (schema name, property name) ``schema`` may hold, however deep."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            for _, prop in properties(components[name], components, seen):
                yield name, prop
        return
    for key in ("oneOf", "anyOf", "allOf", "prefixItems"):
        for option in schema.get(key, []):
            yield from properties(option, components, seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from properties(schema[key], components, seen)
    for name, prop in schema.get("properties", {}).items():
        yield "", name
        yield from properties(prop, components, seen)


def test_no_answer_a_viewer_can_get_names_an_internal(app: Litestar) -> None:
    document = app.openapi_schema.to_schema()
    components = document["components"]["schemas"]
    admin = admin_only(app)
    assert {key for key, is_admin in admin.items() if not is_admin} >= VIEWER_OPERATIONS
    leaks = sorted(
        f"{operation}: {owner or '(inline)'}.{name}"
        for operation, schema in answer_schemas(document, admin)
        for owner, name in properties(schema, components, set())
        if INTERNAL.search(name)
    )
    assert leaks == []


def test_the_walk_finds_what_admins_are_answered(app: Litestar) -> None:
    """The same walk over the admin-only operations finds the object keys and uploader of
    the item they answer: the pattern and the walk do see such fields."""
    document = app.openapi_schema.to_schema()
    components = document["components"]["schemas"]
    admin = {key: not is_admin for key, is_admin in admin_only(app).items()}
    found = {
        name
        for _, schema in answer_schemas(document, admin)
        for _, name in properties(schema, components, set())
        if INTERNAL.search(name)
    }
    assert found >= {"s3_key", "thumbnail_s3_key", "created_by"}


def test_the_document_says_which_fields_are_the_admins(app: Litestar) -> None:
    """The fields a catalogue answer carries for admins alone are optional and described as
    theirs, in the document and so in the SPA's generated types."""
    schema = app.openapi_schema.to_schema()["components"]["schemas"]["CatalogueItem"]
    admins = set(CatalogueItem.__struct_fields__) - set(ItemShown.__struct_fields__)
    assert admins == {"processing_detail", "package_format", "outdated", "etag", "publish_at"}
    assert not admins & set(schema["required"])
    for name in admins:
        assert schema["properties"][name]["description"].startswith("Admins only"), name
