"""``GET /auth/config`` tells the SPA (anyone, no token) how accounts are created, and
whether the server is members only."""

from __future__ import annotations

import pytest
from auth_accounts import API, bearer, signed_in

from support.apps import running_app


@pytest.mark.parametrize(
    ("overrides", "mode", "guests"),
    [
        ({"registration_mode": "open"}, "open", "browse"),
        ({"registration_mode": "invite"}, "invite", "browse"),
        ({"registration_mode": "closed"}, "closed", "browse"),
        ({"registration_mode": "invite", "guest_access": "none"}, "invite", "none"),
    ],
)
async def test_the_registration_mode_is_public(auth_settings_factory, overrides, mode, guests):
    async with running_app(auth_settings_factory(**overrides)) as client:
        response = await client.get(f"{API}/config")
        assert response.status_code == 200, response.text
        assert response.json() == {
            "registration_mode": mode,
            "site_name": "StreamStack",
            "guest_access": guests,
            "mail": False,
        }
        assert response.headers["cache-control"] == "no-cache"


async def test_the_config_ignores_a_token_and_refuses_other_methods(client):
    _, pair = await signed_in(client)
    signed = await client.get(f"{API}/config", headers=bearer(pair["access_token"]))
    assert signed.json() == {
        "registration_mode": "open",
        "site_name": "StreamStack",
        "guest_access": "browse",
        "mail": False,
    }
    refused = await client.post(f"{API}/config", json={"registration_mode": "closed"})
    assert refused.status_code == 405
    assert set(refused.json()) == {"status", "code", "detail", "request_id"}


async def test_the_config_names_the_server(auth_settings_factory):
    async with running_app(auth_settings_factory(site_name="Herons Film Club")) as client:
        response = await client.get(f"{API}/config")
        assert response.status_code == 200, response.text
        assert response.json()["site_name"] == "Herons Film Club"
