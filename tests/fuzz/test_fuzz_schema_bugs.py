"""What schemathesis found wrong with the OpenAPI document itself, pinned one by one.

Each test states what the document should say (all of them pass now; a new bug gets a
strict xfail until its owner fixes it). The fuzz tests
(``test_fuzz_api.py``) check what these bugs still allow: no 5xx, the error shape, and
success bodies against the schema.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from streamstack.app import create_app
from support.apps import bearer, make_settings, mint_token, running_app

METHODS = ("get", "put", "post", "delete", "options", "head", "patch")


@pytest.fixture
def openapi(tmp_path: Path) -> dict[str, Any]:
    """The document the app serves at ``/api/docs/openapi.json``."""
    app = create_app(make_settings("embedded", tmp_path / "data"))
    document: dict[str, Any] = app.openapi_schema.to_schema()
    return document


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


async def test_the_documented_400_is_the_body_the_app_sends(
    tmp_path: Path, openapi: dict[str, Any]
) -> None:
    schema = openapi["paths"]["/api/v1/auth/register"]["post"]["responses"]["400"]
    async with running_app(make_settings("embedded", tmp_path / "app")) as client:
        response = await client.post("/api/v1/auth/register", json={})
    assert response.status_code == 400
    body_schema = schema["content"]["application/json"]["schema"]
    jsonschema.validate(response.json(), {**body_schema, "components": openapi["components"]})


def test_every_error_answer_is_documented_in_our_shape(openapi: dict[str, Any]) -> None:
    error_body = {"$ref": "#/components/schemas/ErrorBody"}
    assert openapi["components"]["schemas"]["ErrorBody"]["required"] == [
        "status",
        "code",
        "detail",
        "request_id",
    ]
    wrong = []
    for method, path, operation in operations(openapi):
        responses = operation["responses"]
        if "500" not in responses:
            wrong.append(f"{method} {path}: no 500")
        for status, response in responses.items():
            if int(status) < 400:
                continue
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            if method == "HEAD" and schema is None:
                continue  # a HEAD answer has no body
            if schema != error_body:
                wrong.append(f"{method} {path} {status}: {schema}")
        bearer = any("bearer" in r for r in operation.get("security", []))
        if bearer and not {"401", "403"} <= set(responses):
            wrong.append(f"{method} {path}: bearer without 401/403")
    assert wrong == []


def test_no_content_answers_document_no_body(openapi: dict[str, Any]) -> None:
    with_body = [
        f"{method} {path}"
        for method, path, operation in operations(openapi)
        if "content" in operation["responses"].get("204", {})
    ]
    assert with_body == []


def test_public_browsing_documents_the_bearer_as_optional(openapi: dict[str, Any]) -> None:
    required = [
        f"{method} {path}"
        for method, path, operation in operations(openapi)
        if method == "GET"
        and path in ("/api/v1/catalogue", "/api/v1/catalogue/{item_id}")
        and {} not in operation.get("security", [{}])
    ]
    assert required == []


def body_refs(node: object) -> list[str]:
    """The component names a request body's schema refers to, at any depth of ``oneOf``."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        found = [ref.rsplit("/", 1)[-1]] if isinstance(ref, str) else []
        return found + [name for value in node.get("oneOf", []) for name in body_refs(value)]
    return []


async def test_bodies_that_refuse_unknown_fields_are_documented_closed(
    tmp_path: Path, openapi: dict[str, Any]
) -> None:
    """Schemathesis added fields the document allowed (no ``additionalProperties``) and got
    400s: every JSON request body refuses unknown fields, so each says so."""
    schemas = openapi["components"]["schemas"]
    open_bodies = [
        f"{method} {path}: {name}"
        for method, path, operation in operations(openapi)
        for media in operation.get("requestBody", {}).get("content", {}).values()
        for name in body_refs(media.get("schema"))
        if schemas[name].get("additionalProperties") is not False
    ]
    assert open_bodies == []
    assert len({name for name, schema in schemas.items() if "additionalProperties" in schema}) >= 10
    async with running_app(make_settings("embedded", tmp_path / "app")) as client:
        extra = {"email": "someone@example.com", "password": "a password", "extra": 1}
        response = await client.post("/api/v1/auth/login", json=extra)
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_bounds_of_zero_and_of_list_items_are_documented(openapi: dict[str, Any]) -> None:
    """Schemathesis sent ``fps: 0``, a negative ``duration_seconds`` and an empty tag, all
    valid by the document and refused with 400: Litestar dropped bounds of 0 and the
    bounds of a list's items, which msgspec checks."""
    schemas = openapi["components"]["schemas"]
    create, update = schemas["CreateMediaItem"]["properties"], schemas["UpdateMediaItem"]
    assert create["fps"]["exclusiveMinimum"] == 0
    assert create["duration_seconds"]["minimum"] == 0
    assert schemas["SaveProgress"]["properties"]["duration_seconds"]["minimum"] == 0
    for tags in (create["tags"], *update["properties"]["tags"]["oneOf"]):
        item = tags["items"]
        assert (item["minLength"], item["maxLength"]) == (1, 40)
        assert item["pattern"].endswith("$(?!\\n)")


async def test_a_set_of_changes_is_documented_not_empty(
    tmp_path: Path, openapi: dict[str, Any]
) -> None:
    """A PATCH of ``{}`` got a 400 ("nothing to change") that the document did not foretell:
    bodies whose every field may be left out say they need one."""
    schemas = openapi["components"]["schemas"]
    patches = {
        path: name
        for method, path, operation in operations(openapi)
        if method == "PATCH"
        for media in operation.get("requestBody", {}).get("content", {}).values()
        for name in body_refs(media.get("schema"))
        if not schemas[name].get("required")
    }
    assert set(patches.values()) >= {"UpdateMediaItem", "PlaylistChanges"}
    assert {path: schemas[name].get("minProperties") for path, name in patches.items()} == {
        path: 1 for path in patches
    }
    assert "minProperties" not in schemas["CreateMediaItem"]
    settings = make_settings("embedded", tmp_path / "app")
    async with running_app(settings) as client:
        admin = mint_token(settings, user_id=str(uuid.uuid4()), role="admin")
        path = f"/api/v1/catalogue/{uuid.uuid4()}"
        response = await client.patch(path, json={}, headers=bearer(admin))
    assert response.status_code == 400, response.text


async def test_a_body_the_route_can_do_without_is_documented_optional(
    tmp_path: Path, openapi: dict[str, Any]
) -> None:
    """Schemathesis sent ``POST /invites`` without the body the document required, and the
    invite was created (the route takes its defaults): such bodies are optional."""
    required = {
        f"{method} {path}": operation["requestBody"]["required"]
        for method, path, operation in operations(openapi)
        if "requestBody" in operation
    }
    assert required["POST /api/v1/auth/invites"] is False
    assert required["POST /api/v1/auth/refresh"] is False
    assert required["POST /api/v1/auth/login"] is True
    settings = make_settings("embedded", tmp_path / "app")
    async with running_app(settings) as client:
        admin = mint_token(settings, user_id=str(uuid.uuid4()), role="admin")
        response = await client.post("/api/v1/auth/invites", headers=bearer(admin))
    assert response.status_code == 201, response.text
