"""POST /api/v1/auth/register: accounts, email normalisation, password rules, bad input."""

from __future__ import annotations

import hashlib
import re
import uuid

from auth_accounts import (
    API,
    PASSWORD,
    assert_error,
    documented_statuses,
    login,
    new_email,
    register,
)

from support.apps import running_app


async def test_register_creates_a_viewer(client):
    email = new_email()
    user = await register(client, email, display_name="  Ada Lovelace  ")
    assert set(user) == {
        "id",
        "email",
        "display_name",
        "role",
        "created_at",
        "disabled",
        "two_factor",
        "password_generated",
        "reply_mail",
        "admin_mail",
        "last_signed_in_at",
    }
    assert user["disabled"] is False
    assert user["last_signed_in_at"] is None  # made, not signed in
    assert user["reply_mail"] is True  # mailed of replies unless its owner turns it off
    assert uuid.UUID(user["id"])
    assert user["email"] == email
    assert user["display_name"] == "Ada Lovelace"
    assert user["role"] == "viewer"
    # No password nor its hash, in any field (password_generated only says whose it is).
    assert "argon2" not in str(user)
    assert "password" not in str({k: v for k, v in user.items() if k != "password_generated"})


async def test_email_is_normalised_and_unique(client):
    user = await register(client, "  Grace.Hopper@Example.TEST ")
    assert user["email"] == "grace.hopper@example.test"
    again = await client.post(
        f"{API}/register", json={"email": "GRACE.HOPPER@example.test", "password": PASSWORD}
    )
    assert_error(again, 409, "email_taken")
    # Signing in works with any case too.
    assert (await login(client, "Grace.Hopper@EXAMPLE.test")).status_code == 200


GOOD_PASSWORDS = [
    "q7#Vk9!z",  # the shortest allowed: 8 characters, random
    hashlib.sha512(b"streamstack").hexdigest(),  # the longest allowed (128), kept whole
    "pässwörd-日本語-🎬🍿",  # any Unicode, emoji included
    "   spaces   around   ",  # not trimmed
    "correct horse battery staple",  # no composition rules: lower-case words are fine
]


async def test_passwords_of_any_unicode_within_limits_work(client):
    for password in GOOD_PASSWORDS:
        email = new_email()
        await register(client, email, password)
        assert (await login(client, email, password)).status_code == 200, password
        # Nothing is truncated: the same password minus its last character is wrong.
        assert_error(await login(client, email, password[:-1]), 401, "invalid_credentials")


async def test_password_is_compared_in_unicode_normal_form(client):
    email = new_email()
    await register(client, email, "caf\u00e9-au-lait")  # é as one code point
    assert (await login(client, email, "cafe\u0301-au-lait")).status_code == 200  # e + accent


BAD_REGISTRATIONS = [
    ({"email": "a@example.test", "password": "1234567"}, "password too short"),
    ({"email": "a@example.test", "password": "x" * 129}, "password too long"),
    ({"email": "a@example.test", "password": "pass\x00word1"}, "NUL in password"),
    ({"email": "a\x00@example.test", "password": PASSWORD}, "NUL in email"),
    ({"email": "🎬@example.test", "password": PASSWORD}, "emoji in email"),
    ({"email": "not-an-email", "password": PASSWORD}, "no @"),
    ({"email": "a@b@example.test", "password": PASSWORD}, "two @"),
    ({"email": "a @example.test", "password": PASSWORD}, "space in email"),
    ({"email": "a@" + "x" * 300 + ".test", "password": PASSWORD}, "email too long"),
    ({"email": "a@example.test"}, "missing password"),
    ({"password": PASSWORD}, "missing email"),
    ({"email": 42, "password": PASSWORD}, "email not a string"),
    ({"email": "a@example.test", "password": ["x" * 10]}, "password not a string"),
    ({"email": "a@example.test", "password": PASSWORD, "role": "admin"}, "role field"),
    ({"email": "a@example.test", "password": PASSWORD, "display_name": "a\x00b"}, "NUL"),
    (
        {"email": "a@example.test", "password": PASSWORD, "display_name": "x" * 101},
        "display name too long",
    ),
    (
        {"email": "a@example.test", "password": PASSWORD, "display_name": "evil\u202etxt"},
        "bidi override in display name",
    ),
]


WEAK_PASSWORDS = [
    ("password", "top-10 common password"),
    ("12345678", "top-10 common password"),
    (" " * 8, "Repeats"),
    ("P@ssw0rd", "similar to a commonly used password"),
    ("qwertyuiop", "common password"),
    ("abcabcabcabc", "Repeats"),
    ("x" * 128, "Repeats"),
    ("grace.hopper", "too easy to guess"),  # the account's own email
    ("Grace Hopper!", "too easy to guess"),  # the display name
]


async def test_easy_to_guess_passwords_are_refused_with_the_reason(client):
    for password, reason in WEAK_PASSWORDS:
        body = {
            "email": "grace.hopper@example.test",
            "password": password,
            "display_name": "Grace Hopper",
        }
        response = await client.post(f"{API}/register", json=body)
        error = assert_error(response, 400, "weak_password")
        assert error["detail"].startswith("password: too easy to guess."), error
        assert reason in error["detail"], (password, error["detail"])
    await register(client, "grace.hopper@example.test", display_name="Grace Hopper")


async def test_bad_registrations_are_refused_and_create_nothing(client):
    for body, why in BAD_REGISTRATIONS:
        response = await client.post(f"{API}/register", json=body)
        assert response.status_code == 400, why
        assert_error(response, 400)
    # The address is still free.
    await register(client, "a@example.test")


MALFORMED_BODIES = [
    (b'{"email": "a@example.test", "password": ', {"Content-Type": "application/json"}),
    (b"[]", {"Content-Type": "application/json"}),
    (b"null", {"Content-Type": "application/json"}),
    (b"", {"Content-Type": "application/json"}),
    (b'"a@example.test"', {"Content-Type": "application/json"}),
    (b"\xff\xfe\x00garbage", {"Content-Type": "application/json"}),
    (b'{"email": "a@example.test", "password": "\\ud800aaaaaaaa"}', {}),
    (b"email=a@example.test&password=whatever1", {"Content-Type": "text/plain"}),
]


async def test_malformed_bodies_get_4xx_json(client):
    for content, headers in MALFORMED_BODIES:
        response = await client.post(f"{API}/register", content=content, headers=headers)
        assert 400 <= response.status_code < 500, content
        assert_error(response, response.status_code)
    await register(client, "a@example.test")


async def test_one_megabyte_body_is_refused(client):
    body = {"email": "a@example.test", "password": "x" * (1024 * 1024)}
    response = await client.post(f"{API}/register", json=body)
    assert_error(response, 413)
    await register(client, "a@example.test")


async def test_emoji_display_name_is_kept(client):
    user = await register(client, display_name="🎬 Film Fan 👨\u200d👩\u200d👧")
    assert user["display_name"] == "🎬 Film Fan 👨\u200d👩\u200d👧"


async def test_registration_can_be_switched_off(auth_settings_factory):
    async with running_app(auth_settings_factory(registration_mode="closed")) as client:
        response = await client.post(
            f"{API}/register", json={"email": "a@example.test", "password": PASSWORD}
        )
        assert_error(response, 403, "registration_disabled")
        assert_error(await login(client, "a@example.test"), 401, "invalid_credentials")


async def test_every_refusal_of_a_registration_is_documented(client):
    """Schemathesis saw 409 and 429 answered that the OpenAPI document did not list."""
    email = new_email()
    await register(client, email)
    taken = await client.post(f"{API}/register", json={"email": email, "password": PASSWORD})
    assert_error(taken, 409, "email_taken")
    assert {403, 409, 429} <= await documented_statuses(client, "post", "/register")


async def test_the_documented_email_pattern_is_the_rule_the_server_applies(client):
    """Schemathesis sent ``"email": "000"``, valid by the document (no pattern) and refused
    with 400: the email fields now document the address rule, and it is the one applied."""
    document = (await client.get("/api/docs/openapi.json")).json()
    schemas = document["components"]["schemas"]
    pattern = schemas["RegisterRequest"]["properties"]["email"]["pattern"]
    assert schemas["LoginRequest"]["properties"]["email"]["pattern"] == pattern
    accepted = ["viewer@localhost", " Grace.Hopper@Example.TEST ", "o'hara+tag@mail.example.test"]
    refused = ["000", "🎬@example.test", "a..b@example.test", "a@-x.test", "a@b@c", "@example"]
    for email in accepted + refused:
        assert bool(re.search(pattern, email)) == (email in accepted), email
        body = {"email": email, "password": PASSWORD}
        answer = await client.post(f"{API}/register", json=body)
        assert answer.status_code == (201 if email in accepted else 400), (email, answer.text)
