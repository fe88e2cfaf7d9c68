"""Schemathesis against the app's own OpenAPI: all four modules, embedded backends.

Every operation is fuzzed twice, as a viewer and as an admin (real accounts, a freshly
signed access token per request, so a generated ``logout`` cannot disarm the next case),
with a bounded number of examples. Each response must:

* never be a 5xx;
* if it is an error, be our JSON error shape with the response's status;
* if it is a success, match the documented schema and content type.

Error responses are not checked against the schema: the schema documents no error shape
at all except Litestar's default 400, which is not the body the app sends
(``test_fuzz_schema_bugs.py`` pins that, and the other schema bugs found here).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.routes import HTTPRoute
from schemathesis import Case, CheckContext, GenerationMode, Response
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from harness.servers import run_sync
from streamstack.app import create_app
from streamstack.auth.module import standalone_service
from streamstack.auth.service import ClientInfo, Registration
from streamstack.cli import apply_migrations
from streamstack.kernel.guards import requires_admin
from streamstack.settings import Settings
from support.apps import bearer, make_settings, mint_token

pytestmark = pytest.mark.slow

# A tus PATCH body is raw bytes of tus's own media type: sent as application/octet-stream is.
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")

#: Examples per operation and role.
MAX_EXAMPLES = 12
#: Examples of a viewer's requests to an admins' operation: its guard refuses them before the
#: request is read (403 for every body and query), so a few show the refusal's shape, and the
#: ~40 admins' operations stop costing the viewer's run as much as the admin's.
REFUSED_EXAMPLES = 2
VIEWER_EMAIL = "fuzz-viewer@example.com"
ADMIN_EMAIL = "fuzz-admin@example.com"
PASSWORD = "fuzzing password 1"


@dataclasses.dataclass(frozen=True)
class FuzzTarget:
    """The deployment under test and the accounts the fuzzer acts as."""

    settings: Settings
    user_ids: dict[str, str]

    def headers(self, role: str) -> dict[str, str]:
        token = mint_token(self.settings, user_id=self.user_ids[role], role=role)
        return bearer(token)


async def create_accounts(settings: Settings) -> dict[str, str]:
    """A viewer and an admin, made the way an operator and a visitor would."""
    async with standalone_service(settings) as auth:
        viewer = await auth.register(
            Registration(VIEWER_EMAIL, PASSWORD, "Fuzz viewer"), ClientInfo("fuzz", None)
        )
        await auth.create_admin(ADMIN_EMAIL, PASSWORD)
        admins = await auth.list_users(ADMIN_EMAIL, 1, 0)
    return {"viewer": str(viewer.id), "admin": str(admins.items[0].id)}


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> FuzzTarget:
    data_dir: Path = tmp_path_factory.mktemp("fuzz") / "data"
    target_settings = make_settings(
        "embedded",
        data_dir,
        login_throttle_email_attempts=1000,
        login_throttle_address_attempts=1000,
        search_burst=1_000_000,
    )
    run_sync(lambda: apply_migrations(target_settings, target_settings.modules))
    user_ids = run_sync(lambda: create_accounts(target_settings))
    return FuzzTarget(target_settings, user_ids)


def errors_have_our_shape(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Errors carry ``status``, ``code``, ``detail``, ``request_id`` (HEAD: no body)."""
    if response.status_code < 400 or case.method.upper() == "HEAD":
        return None
    assert response.headers.get("content-type", [""])[0].startswith("application/json"), (
        f"{response.status_code} without a JSON body"
    )
    body = response.json()
    assert isinstance(body, dict) and {"status", "code", "detail", "request_id"} <= set(body), body
    assert body["status"] == response.status_code, body
    return True


def successes_match_the_schema(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A 2xx with a body has the documented content type and matches the documented schema."""
    if not 200 <= response.status_code < 300 or response.status_code == 204:
        return None
    if case.method.upper() == "HEAD":
        return None
    content_type_conformance(ctx, response, case)
    return response_schema_conformance(ctx, response, case)


def no_server_error_but_a_documented_501(
    ctx: CheckContext, response: Response, case: Case
) -> bool | None:
    """A 5xx is a bug, but for a 501 its operation documents: oEmbed answers a format it
    does not offer so, as its specification asks (oEmbed 1.0 §2.3.4)."""
    if response.status_code == 501:
        documented = case.operation.responses.find_by_status_code(501)
        if documented is not None and documented.status_code == "501":
            return None
    return not_a_server_error(ctx, response, case)


CHECKS = [no_server_error_but_a_documented_501, errors_have_our_shape, successes_match_the_schema]
BOUNDED = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def admins_operations(app: Litestar) -> set[tuple[str, str]]:
    """``(METHOD, path)`` of every documented operation behind ``requires_admin``."""
    return {
        (method, route.path_format)
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        if requires_admin in handler.resolve_guards()
        for method in handler.http_methods
    }


def send(case: Case, target: FuzzTarget, role: str) -> None:
    case.call_and_validate(headers=target.headers(role), checks=CHECKS)


def fuzz_every_operation(target: FuzzTarget, role: str) -> None:
    """Run the bounded hypothesis search on each operation; fail listing every finding."""
    # A new app each time: schemathesis ends an app's lifespan with the test that started it.
    app = create_app(target.settings)
    api = schemathesis.openapi.from_asgi("/api/docs/openapi.json", app)
    refused = admins_operations(app) if role == "viewer" else set()
    findings: list[str] = []
    operations = 0
    for result in api.get_all_operations():
        operation = result.ok()
        operations += 1
        examples = (
            REFUSED_EXAMPLES
            if (operation.method.upper(), operation.path) in refused
            else MAX_EXAMPLES
        )

        @given(
            case=st.one_of(
                operation.as_strategy(GenerationMode.POSITIVE),
                operation.as_strategy(GenerationMode.NEGATIVE),
            )
        )
        @settings(BOUNDED, max_examples=examples)
        def search(case: Case) -> None:
            send(case, target, role)

        try:
            search()
        except Exception as exc:  # schemathesis' FailureGroup, or an AssertionError
            findings.append(f"{operation.label}: {exc}")
    assert operations >= 25, f"only {operations} operations in the schema"
    assert role == "admin" or len(refused) >= 25, f"only {len(refused)} admins' operations"
    assert not findings, "\n\n".join(findings)


def test_fuzz_as_viewer(fuzz_target: FuzzTarget) -> None:
    fuzz_every_operation(fuzz_target, "viewer")


def test_fuzz_as_admin(fuzz_target: FuzzTarget) -> None:
    fuzz_every_operation(fuzz_target, "admin")
