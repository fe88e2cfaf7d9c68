"""A revoked access token is refused by every bearer operation the app has (issue 12 item 3).

The operations are not listed by hand: the HTTP ones are every OpenAPI operation whose
security names the bearer scheme, the module-to-module ones every ``Operation`` published
in ``streamstack.contracts`` that needs a user. A route or operation added later is
covered without touching this file. For each way a token gets revoked (sign-out,
sign-out everywhere, a role change) each one must answer 401 ``token_revoked``, on both
backend kinds with all modules in one process, and with each module in its own process
(calls between modules then cross HTTP) on the production backends (the embedded KV
store is single-process by design: ``kernel/kv/embedded.py``).
"""

from __future__ import annotations

import importlib
import pkgutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from harness.tools import skip_or_fail
from streamstack import contracts
from streamstack.auth.bootstrap import standalone_service
from streamstack.kernel.operation import Operation
from streamstack.kernel.transport import SECRET_HEADER
from streamstack.settings import Settings
from support.apps import INTERNAL_SECRET, bearer, mint_token, running_app, served_app
from support.fixtures import settings_for
from support.processes import module_processes

AUTH = "/api/v1/auth"
PASSWORD = "Revocation-test passphrase 7431"
SCHEMA_PATH = "/api/docs/openapi.json"
#: Where each module's public routes live, to send a request to the process serving it.
PREFIXES = {
    "/api/v1/auth": "auth",
    "/api/v1/catalogue": "catalogue",
    "/api/v1/ingest": "ingest",
    "/api/v1/stream": "streaming",
}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch")


# --- what to call -----------------------------------------------------------------------


def sample(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """A small value valid for ``schema`` (enough to get past body parsing)."""
    if "$ref" in schema:
        return sample(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return sample(options[0], components)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: sample(props[name], components) for name in schema.get("required", [])}
    if kind == "array":
        return []
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    if kind == "string":
        if schema.get("format") == "uuid":
            return str(uuid.uuid4())
        return "x" * max(1, schema.get("minLength", 1))
    return None


class Call(msgspec.Struct, frozen=True):
    """One request to make with the token under test."""

    label: str
    module: str
    method: str
    path: str
    json: Any = None
    params: dict[str, Any] = {}
    headers: dict[str, str] = {}


def bearer_operations(schema: dict[str, Any]) -> list[Call]:
    """Every operation of an OpenAPI document whose security accepts the bearer scheme."""
    components = schema.get("components", {}).get("schemas", {})
    calls = []
    for template, item in schema["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None or not any("bearer" in req for req in op.get("security") or []):
                continue
            path, params = template, {}
            for param in op.get("parameters", []):
                value = sample(param.get("schema", {}), components)
                if param["in"] == "path":
                    path = path.replace("{" + param["name"] + "}", str(value))
                elif param["in"] == "query" and param.get("required"):
                    params[param["name"]] = value
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            module = next(m for prefix, m in PREFIXES.items() if template.startswith(prefix))
            calls.append(
                Call(
                    label=f"{method.upper()} {template}",
                    module=module,
                    method=method.upper(),
                    path=path,
                    json=sample(body["schema"], components) if body else None,
                    params=params,
                    headers={"Tus-Resumable": "1.0.0"},
                )
            )
    return calls


def user_operations() -> list[Operation[Any, Any]]:
    """Every operation published in ``streamstack.contracts`` that acts for a user."""
    found: dict[str, Operation[Any, Any]] = {}
    for info in pkgutil.iter_modules(contracts.__path__, f"{contracts.__name__}."):
        for value in vars(importlib.import_module(info.name)).values():
            if isinstance(value, Operation) and value.access != "service":
                found[value.path] = value
    return list(found.values())


def operation_call(op: Operation[Any, Any]) -> Call:
    """The ``/internal/`` request serving ``op``, with a body valid for its request type."""
    (schema,), components = msgspec.json.schema_components(
        [op.request], ref_template="#/$defs/{name}"
    )
    body = sample(schema, components)
    return Call(
        label=f"operation {op.module}.{op.name}",
        module=op.module,
        method="POST",
        path=op.path,
        json=body,
        headers={SECRET_HEADER: INTERNAL_SECRET},
    )


# --- deployments ----------------------------------------------------------------------------

Send = Callable[[Call, str], Awaitable[httpx.Response]]


class Deployment(msgspec.Struct):
    """How to reach each module, and the app's bearer operations."""

    send: Send
    calls: list[Call]
    settings: Settings


async def openapi_calls(client: httpx.AsyncClient) -> list[Call]:
    response = await client.get(SCHEMA_PATH)
    assert response.status_code == 200, response.text
    return bearer_operations(response.json())


def sender(clients: dict[str, httpx.AsyncClient]) -> Send:
    async def send(call: Call, token: str) -> httpx.Response:
        return await clients[call.module].request(
            call.method,
            call.path,
            json=call.json,
            params=call.params,
            headers={**call.headers, **(bearer(token) if token else {})},
        )

    return send


LAYOUTS = {
    "embedded, one process": ("embedded", False),
    "production, one process": ("production", False),
    "production, one process per module": ("production", True),
}


@pytest.fixture(params=list(LAYOUTS))
async def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Deployment]:
    kind, split = LAYOUTS[request.param]
    settings: Settings = settings_for(kind, tmp_path, request)
    internal = [operation_call(op) for op in user_operations()]
    if not split:
        async with served_app(settings) as url, httpx.AsyncClient(base_url=url, timeout=30) as c:
            clients = dict.fromkeys(PREFIXES.values(), c)
            yield Deployment(sender(clients), [*await openapi_calls(c), *internal], settings)
        return
    groups = [["auth"], ["catalogue"], ["streaming"], ["ingest"]]
    async with module_processes(settings, groups) as deployed:
        clients = {m: httpx.AsyncClient(base_url=u, timeout=30) for m, u in deployed.urls.items()}
        try:
            calls = [c for m in clients for c in await openapi_calls(clients[m])]
            yield Deployment(sender(clients), [*calls, *internal], settings)
        finally:
            for client in clients.values():
                await client.aclose()


# --- accounts -------------------------------------------------------------------------------


class Accounts(msgspec.Struct):
    """Two admins: ``boss`` changes roles, ``subject`` is the one whose tokens get revoked."""

    boss: str
    subject: str


async def make_admins(settings: Settings) -> Accounts:
    """Two admin accounts, made as ``streamstack create-admin`` makes them."""
    suffix = uuid.uuid4().hex[:8]
    boss, subject = f"boss-{suffix}@example.test", f"subject-{suffix}@example.test"
    async with standalone_service(settings) as service:
        await service.create_admin(boss, PASSWORD)
        await service.create_admin(subject, PASSWORD)
    return Accounts(boss, subject)


async def sign_in(deployment: Deployment, email: str) -> str:
    auth = Call("login", "auth", "POST", f"{AUTH}/login", {"email": email, "password": PASSWORD})
    response = await deployment.send(auth, "")
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def who(deployment: Deployment, token: str) -> dict[str, Any]:
    response = await deployment.send(Call("me", "auth", "GET", f"{AUTH}/me"), token)
    assert response.status_code == 200, response.text
    user: dict[str, Any] = response.json()
    return user


def error_code(response: httpx.Response) -> str | None:
    """The ``code`` of an error body, or None for anything else."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


# --- the revocations ------------------------------------------------------------------------


async def revoked_by_logout(deployment: Deployment, accounts: Accounts) -> str:
    token = await sign_in(deployment, accounts.subject)
    r = await deployment.send(Call("logout", "auth", "POST", f"{AUTH}/logout"), token)
    assert r.status_code == 204, r.text
    return token


async def revoked_by_logout_all(deployment: Deployment, accounts: Accounts) -> str:
    token = await sign_in(deployment, accounts.subject)
    other = await sign_in(deployment, accounts.subject)
    r = await deployment.send(Call("logout-all", "auth", "POST", f"{AUTH}/logout-all"), other)
    assert r.status_code == 204, r.text
    return token


async def revoked_by_role_change(deployment: Deployment, accounts: Accounts) -> str:
    token = await sign_in(deployment, accounts.subject)
    boss = await sign_in(deployment, accounts.boss)
    subject_id = (await who(deployment, token))["id"]
    demote = Call("demote", "auth", "PATCH", f"{AUTH}/users/{subject_id}", {"role": "viewer"})
    r = await deployment.send(demote, boss)
    assert r.status_code == 200, r.text
    return token


REVOCATIONS = {
    "logout": revoked_by_logout,
    "logout-all": revoked_by_logout_all,
    "role change": revoked_by_role_change,
}


@pytest.mark.slow
async def test_a_revoked_access_token_is_refused_by_every_bearer_operation(
    deployment: Deployment,
) -> None:
    labels = {call.label for call in deployment.calls}
    # The enumeration found the routes of every module and the cross-module operations.
    for expected in (
        f"GET {AUTH}/me",
        "POST /api/v1/catalogue",
        "POST /api/v1/ingest/upload",
        "operation catalogue.create_item",
        "operation streaming.issue_token",
    ):
        assert expected in labels, sorted(labels)
    accounts = await make_admins(deployment.settings)
    live = await sign_in(deployment, accounts.subject)
    for call in deployment.calls:  # the same kind of token, not revoked: accepted
        if call.method == "GET":
            r = await deployment.send(call, live)
            assert r.status_code != 401, (call.label, r.text)

    wrong = {}
    # In this order: the role change (last) leaves the subject a viewer.
    for how, revoke in REVOCATIONS.items():
        token = await revoke(deployment, accounts)
        for call in deployment.calls:
            r = await deployment.send(call, token)
            # A HEAD answer has no body to carry the code; its status must still be 401.
            got = (r.status_code, None if call.method == "HEAD" else error_code(r))
            if got != (401, None if call.method == "HEAD" else "token_revoked"):
                wrong[f"{how}: {call.label}"] = got
    assert not wrong, wrong


async def test_without_the_revocation_list_bearer_requests_fail_closed(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """NATS (the revocation list) down: a valid token is not honoured blindly, it gets 503."""
    nats = request.getfixturevalue("nats_server")
    if nats is None:
        skip_or_fail("needs the session's own NATS server to stop it")
    settings = settings_for("production", tmp_path, request)
    token = mint_token(settings, role="admin")
    calls = [
        ("GET", f"{AUTH}/me"),
        ("GET", "/api/v1/catalogue"),
        ("DELETE", f"/api/v1/catalogue/{uuid.uuid4()}"),
        ("POST", f"/api/v1/catalogue/{uuid.uuid4()}/stream-token"),
    ]
    async with running_app(settings) as http:
        assert (await http.get("/api/v1/catalogue", headers=bearer(token))).status_code == 200
        with nats.stopped():
            answers = {
                f"{method} {path}": await http.request(method, path, headers=bearer(token))
                for method, path in calls
            }
            anonymous = await http.get("/api/v1/catalogue")
        for call, response in answers.items():
            assert response.status_code == 503, (call, response.text)
            assert response.json()["status"] == 503
            assert response.headers["retry-after"]
        # Anonymous browsing needs no revocation list, so it kept working.
        assert anonymous.status_code == 200, anonymous.text
