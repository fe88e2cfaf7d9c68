"""Every admin action's log line names the admin who did it, as ``by`` (walk 51, F4: with
several admins, "who disabled Mallory, who made Frank an admin" must be answerable)."""

from __future__ import annotations

import structlog
from auth_accounts import API, admin_token, bearer, register
from jose import jwt

from streamstack.auth import service as service_module
from support.apps import running_app

#: Each admin action on an account, as the SPA and the CLI send it, and its log line.
ACTIONS = [
    ("PATCH", "", {"role": "admin"}, "role_changed"),
    ("PATCH", "", {"role": "viewer"}, "role_changed"),
    ("PATCH", "", {"email": "moved@example.org"}, "email_changed"),
    ("POST", "/disable", None, "user_disabled"),
    ("POST", "/enable", None, "user_enabled"),
    ("POST", "/password-reset", None, "password_reset_issued"),
    ("DELETE", "/two-factor", None, "two_factor_reset"),
    ("DELETE", "", None, "user_deleted"),
]


async def test_each_admin_action_names_its_admin(auth_settings, monkeypatch):
    recorder = structlog.testing.CapturingLogger()
    monkeypatch.setattr(service_module, "log", recorder)
    async with running_app(auth_settings) as client:
        admin = await admin_token(client, auth_settings)
        admin_id = jwt.get_unverified_claims(admin)["sub"]
        member = (await register(client, "mallory@example.org"))["id"]
        invite = (await client.post(f"{API}/invites", json={}, headers=bearer(admin))).json()
        revoked = await client.delete(f"{API}/invites/{invite['id']}", headers=bearer(admin))
        assert revoked.status_code == 204, revoked.text
        for method, suffix, body, _ in ACTIONS:
            response = await client.request(
                method, f"{API}/users/{member}{suffix}", json=body, headers=bearer(admin)
            )
            assert response.status_code < 300, response.text
    logged = [(call.args[0], call.kwargs) for call in recorder.calls]
    expected = ["invite_created", "invite_revoked", *(event for *_, event in ACTIONS)]
    actions = [(event, fields) for event, fields in logged if event in expected]
    assert [event for event, _ in actions] == expected
    assert [fields["by"] for _, fields in actions] == [admin_id] * len(expected)
