"""Steps the auth tests share: register, sign in, read error bodies."""

from __future__ import annotations

import itertools
from typing import Any

from httpx import Response
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from streamstack.auth.module import standalone_service
from streamstack.kernel.db import Database
from streamstack.settings import Settings
from support.apps import bearer as bearer  # the one Authorization header, re-exported

API = "/api/v1/auth"
PASSWORD = "correct horse battery staple"
_counter = itertools.count()


def new_email(prefix: str = "user") -> str:
    """A fresh, valid email address."""
    return f"{prefix}{next(_counter)}@example.test"


async def register(
    client: AsyncTestClient[Any], email: str | None = None, password: str = PASSWORD, **extra: Any
) -> dict[str, Any]:
    """Register an account and return its JSON (asserting 201)."""
    body = {"email": email or new_email(), "password": password, **extra}
    response = await client.post(f"{API}/register", json=body)
    assert response.status_code == 201, response.text
    user: dict[str, Any] = response.json()
    return user


async def login(
    client: AsyncTestClient[Any], email: str, password: str = PASSWORD, **kwargs: Any
) -> Response:
    """POST /login."""
    return await client.post(f"{API}/login", json={"email": email, "password": password}, **kwargs)


async def signed_in(
    client: AsyncTestClient[Any], email: str | None = None, password: str = PASSWORD
) -> tuple[str, dict[str, Any]]:
    """Register (if ``email`` is None) and sign in: ``(email, token pair)``."""
    if email is None:
        email = new_email()
        await register(client, email, password)
    response = await login(client, email, password)
    assert response.status_code == 200, response.text
    pair: dict[str, Any] = response.json()
    return email, pair


#: The header by which a browser asks for the refresh token in an HttpOnly cookie.
COOKIE_MODE = {"X-Refresh-Cookie": "1"}


def set_cookie(response: Response, name: str = "streamstack_refresh") -> str:
    """The one ``Set-Cookie`` of the answer that sets ``name``."""
    values = [
        value for value in response.headers.get_list("set-cookie") if value.startswith(f"{name}=")
    ]
    assert len(values) == 1, response.headers.get_list("set-cookie")
    return values[0]


def cookie_attributes(header: str) -> tuple[str, str, dict[str, str]]:
    """A ``Set-Cookie`` header's name, value and attributes (lower-case names)."""
    name_value, *attributes = [part.strip() for part in header.split(";")]
    name, _, value = name_value.partition("=")
    parsed = {}
    for attribute in attributes:
        key, _, val = attribute.partition("=")
        parsed[key.lower()] = val
    return name, value, parsed


def assert_error(response: Response, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert the JSON error shape with this status (and code) and return the body."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"status", "code", "detail", "request_id"}, body
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    return body


async def stored_password_hash(settings: Settings, email: str) -> str:
    """The password hash the database holds for ``email`` (read behind the app's back)."""
    sql = "SELECT password_hash FROM auth_users WHERE email = :email"
    return str(await read_behind(settings, sql, email=email))


async def read_behind(settings: Settings, sql: str, **values: Any) -> Any:
    """The one value ``sql`` selects from auth's database, read behind the app's back."""
    database = Database(settings.effective_database_url)
    try:
        async with database.engine.connect() as connection:
            return (await connection.execute(text(sql), values)).scalar_one()
    finally:
        await database.close()


async def assert_signed_out(client: AsyncTestClient[Any], *pairs: dict[str, Any]) -> None:
    """Each session's access token is refused as revoked, and no refresh brings it back."""
    for pair in pairs:
        assert_error(
            await client.get(f"{API}/me", headers=bearer(pair["access_token"])),
            401,
            "token_revoked",
        )
        refreshed = await client.post(
            f"{API}/refresh", json={"refresh_token": pair["refresh_token"]}
        )
        assert_error(refreshed, 401)


async def signed_in_admin(
    client: AsyncTestClient[Any], settings: Settings
) -> tuple[str, dict[str, Any]]:
    """A new admin made the operator's way, signed in (made, not promoted: a promoted member
    is mailed a notice, which tests counting mail would meet)."""
    email = new_email("admin")
    async with standalone_service(settings) as service:
        account = await service.create_admin(email, PASSWORD)
    assert account.created
    return await signed_in(client, email)


async def admin_token(client: AsyncTestClient[Any], settings: Settings) -> str:
    """An admin made the operator's way (registration may be closed), signed in."""
    email = new_email("admin")
    async with standalone_service(settings) as service:
        await service.create_admin(email, PASSWORD)
    response = await login(client, email)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def documented_statuses(client: AsyncTestClient[Any], method: str, path: str) -> set[int]:
    """The statuses the served OpenAPI document gives the auth operation ``method path``."""
    document = (await client.get("/api/docs/openapi.json")).json()
    return {int(status) for status in document["paths"][f"{API}{path}"][method]["responses"]}


#: The ways an admin stops being one (an admin's request on ``/users/{id}``): whatever the
#: person saw as an admin (the codes they issued) must stop working each way.
STRIPPED_OF_ADMIN = {
    "demoted": ("PATCH", "", {"role": "viewer"}),
    "disabled": ("POST", "/disable", None),
    "deleted": ("DELETE", "", None),
}


async def strip_admin(client: AsyncTestClient[Any], token: str, user_id: str, how: str) -> None:
    """Another admin (``token``) demotes, disables or deletes the admin ``user_id``."""
    method, suffix, body = STRIPPED_OF_ADMIN[how]
    response = await client.request(
        method, f"{API}/users/{user_id}{suffix}", headers=bearer(token), json=body
    )
    assert response.status_code in (200, 204), response.text
