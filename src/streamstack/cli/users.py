"""``streamstack users``: list the accounts; disable, enable, change the role or the
sign-in email of one, give it a password-reset link, or turn off its two-factor
authentication (the admin's users page, for a shell).

A user is named by id or by email. Auth refuses to leave no enabled admin (409
``last_admin``); that refusal is said with what to do instead. Demoting or disabling an
admin stops for good every share link they made (the catalogue follows auth's
``user.no_longer_admin``): how many is said first and asked, as the web app's Users page
does (``--yes``: without asking).
"""

from __future__ import annotations

import argparse
import sys
import uuid
from typing import Any, get_args

from streamstack.cli.exits import CommandFailed
from streamstack.cli.library import every_entry
from streamstack.cli.output import agreed, check_askable, handed_over, print_json, table
from streamstack.cli.session import (
    AdminApi,
    admin_api,
    error_detail,
    server_refused,
)
from streamstack.contracts.auth import Role
from streamstack.settings import SettingsError

#: Auth's users: a page of them (``q``: emails containing it; ``id``: these ones).
USERS_PATH = "/api/v1/auth/users"
#: One user: PATCH sets the role or email; ``/disable``, ``/enable`` and ``/password-reset``
#: below it.
USER_PATH = USERS_PATH + "/{id}"
COLUMNS = ("ID", "ROLE", "STATE", "2FA", "CREATED", "LAST SIGN-IN", "EMAIL", "NAME")
#: What each change is called, its request, and what it did in words (of the user after it,
#: and ``was``: their email before it).
CHANGES = {
    "disable": ("POST", "/disable", "{email} disabled (every session of it signed out)"),
    "enable": ("POST", "/enable", "{email} enabled"),
    "role": ("PATCH", "", "{email} now {role}"),
    "email": ("PATCH", "", "{was} now signs in as {email} (its sessions stay)"),
}
#: The live share links an account made (``?made_by=<id>``: their ``count``), which stop for
#: good once it is no longer an admin.
SHARES_MADE_PATH = "/api/v1/catalogue/shares"
#: The question before each change that takes an admin's rights away.
_REMOVALS = {"disable": "Disable {email}?", "role": "Make {email} a viewer?"}
#: The changes that take a value after USER, and what it is, as the usage says it.
_VALUES = {"role": "admin|viewer", "email": "NEW_EMAIL"}
_User = dict[str, Any]


def run_users(args: argparse.Namespace) -> int:
    """``streamstack users list|disable|enable|role|email|password-reset|two-factor-off
    [USER [VALUE]]``: print
    the accounts (a table, or ``--json``), or change one and print it as JSON; the reset
    link (with how long it lasts) for ``password-reset``. Exit 1 when the server refuses."""
    _check(args)
    with admin_api(args) as api:
        if args.action == "list":
            return _listed(_every(api, {}), as_json=args.json)
        user = _named(api, args.user)
        if args.action == "password-reset":
            return print_json(_reset(api, user))
        if args.action == "two-factor-off":
            return print_json(_two_factor_off(api, user))
        if _removes_admin(user, args) and not _links_let_go(api, user, args):
            print(f"streamstack: {user['email']} not changed", file=sys.stderr)
            return 1
        return print_json(_changed(api, user, args.action, args.value))


def _check(args: argparse.Namespace) -> None:
    """Refuse what the command line cannot mean (a :class:`SettingsError`, exit 2)."""
    shape = (False, False) if args.action == "list" else (True, args.action in _VALUES)
    if (args.user is not None, args.value is not None) != shape:
        wanted = "nothing more" if args.action == "list" else f"USER {_VALUES.get(args.action, '')}"
        raise SettingsError(f"users {args.action}: give {wanted.strip()}")
    if args.action == "role" and args.value not in get_args(Role):
        raise SettingsError(f"users role: invalid choice: {args.value!r} (admin or viewer)")
    if args.json and args.action != "list":
        raise SettingsError("users: --json goes with list (the others print JSON)")
    if args.yes and args.action not in _REMOVALS:
        raise SettingsError(f"users {args.action}: --yes goes with disable and role")


def _every(api: AdminApi, query: dict[str, str]) -> list[_User]:
    """Every user the list answers with ``query`` (newest first)."""
    return every_entry(api, USERS_PATH, query, "users")


def _named(api: AdminApi, named: str) -> _User:
    """The user ``named`` (an id or an email) as auth shows it now."""
    try:
        user_id = str(uuid.UUID(named))
    except ValueError:
        return user_by_email(api, named, "users")
    return user_by_id(api, user_id)


def user_by_id(api: AdminApi, user_id: str) -> _User:
    """The user whose id is ``user_id``; an id no one has is :class:`CommandFailed`."""
    found = _every(api, {"id": user_id})
    if not found:
        raise CommandFailed(f"no user with the id {user_id}")
    return found[0]


def user_by_email(api: AdminApi, named: str, command: str) -> _User:
    """The user whose email is ``named``, in any case (auth keeps emails trimmed and
    lower-cased, and searches them so; its rules are not loaded here: they import the
    password checker, a CLI's start would pay for); what is no email is refused naming
    ``command`` (a :class:`SettingsError`, exit 2), an email no one has is
    :class:`CommandFailed`."""
    email = named.strip().lower()
    if "@" not in email:
        raise SettingsError(f"{command}: {named!r} is neither a user's id nor an email")
    # The list's ``q`` finds the emails containing it; the one named is the one equal to it.
    found = [user for user in _every(api, {"q": email}) if user["email"] == email]
    if not found:
        raise CommandFailed(f"no user with the email {email}")
    return found[0]


def _changed(api: AdminApi, user: _User, action: str, value: str | None) -> Any:
    """Disable, enable, or set the role or email (``value``) of ``user``; the user after it."""
    method, tail, done = CHANGES[action]
    response = api.request(
        method,
        USER_PATH.format(id=user["id"]) + tail,
        json=None if value is None else {action: value},
    )
    if response.status_code != 200:
        raise CommandFailed(f"{user['email']} not changed: {_refusal(response)}")
    changed = response.json()
    print(f"streamstack: {done.format(was=user['email'], **changed)}", file=sys.stderr)
    return changed


def _removes_admin(user: _User, args: argparse.Namespace) -> bool:
    """Whether the change takes ``user``'s admin rights away (and so their share links)."""
    admin: bool = user["role"] == "admin"
    return admin and (args.action == "disable" or (args.action, args.value) == ("role", "viewer"))


def _links_let_go(api: AdminApi, user: _User, args: argparse.Namespace) -> bool:
    """Say how many share links ``user`` made stop for good, before anything changes, and
    whether to go ahead: asked on a terminal, yes with ``--yes``; nothing said or asked
    when they made none. Without a terminal to ask, ``--yes`` is needed (a
    :class:`SettingsError`, exit 2), as a script must not end links unawares."""
    stopping = _links_stopping(api, user)
    if stopping is None:
        return True
    if args.yes:
        print(f"streamstack: {stopping}", file=sys.stderr)
        return True
    check_askable(f"users {args.action}", stopping)
    question = _REMOVALS[args.action].format(email=user["email"])
    return agreed(f"{stopping[0].upper()}{stopping[1:]}. {question} [y/N] ")


def _links_stopping(api: AdminApi, user: _User) -> str | None:
    """What happens to the share links ``user`` made, in the web app's words; None when
    they made none, or when the server serves no catalogue (404: no links live there). A
    count the catalogue cannot give now (down, busy) changes nothing (:class:`CommandFailed`):
    links are not ended unsaid."""
    email = user["email"]
    response = api.request("GET", SHARES_MADE_PATH, params={"made_by": user["id"]})
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        counting = error_detail(response)
        raise CommandFailed(
            f"{email} not changed: the share links they made not counted ({counting})"
        )
    count = response.json()["count"]
    if count == 0:
        return None
    if count == 1:
        return (
            f"the share link {email} made stops working for good "
            "(make a new one if its video should stay shared)"
        )
    return (
        f"the {count:,} share links {email} made stop working for good "
        "(make new ones for videos that should stay shared)"
    )


def _reset(api: AdminApi, user: _User) -> Any:
    """A password-reset code for ``user``; its link, and how long it lasts, said."""
    response = api.request("POST", USER_PATH.format(id=user["id"]) + "/password-reset")
    if response.status_code != 201:
        raise server_refused(response, f"no reset for {user['email']}")
    terms = ", once; earlier ones stop working"
    return handed_over(response.json(), api.server, f"a password reset for {user['email']}", terms)


def _two_factor_off(api: AdminApi, user: _User) -> _User:
    """Turn off ``user``'s two-factor authentication; the user after it."""
    response = api.request("DELETE", USER_PATH.format(id=user["id"]) + "/two-factor")
    if response.status_code != 204:
        raise server_refused(response, f"{user['email']} not changed")
    email = user["email"]
    if user.get("two_factor") is False:  # as the list read it: nothing was on to turn off
        said = f"two-factor authentication of {email} was not on; nothing changed"
    else:
        said = (
            f"two-factor authentication of {email} is off; they sign in with their "
            "password alone until they set it up again"
        )
    print(f"streamstack: {said}", file=sys.stderr)
    return {**user, "two_factor": False}


def _refusal(response: Any) -> str:
    """The server's refusal, with what to do instead when it would leave no admin."""
    said = error_detail(response)
    if response.status_code == 409 and response.json().get("code") == "last_admin":
        said += " (make another account an admin first: `streamstack users role USER admin`)"
    return said


def _last_sign_in(user: _User) -> str:
    """The day ``user`` last signed in, "never", or "-" from a server that does not say."""
    if "last_signed_in_at" not in user:
        return "-"
    at: str | None = user["last_signed_in_at"]
    return "never" if at is None else at[:10]


def _listed(users: list[_User], *, as_json: bool) -> int:
    """Print ``users`` as a table (or JSON); the count on stderr."""
    if as_json:
        return print_json(users)
    rows = [
        (
            user["id"],
            user["role"],
            "disabled" if user["disabled"] else "enabled",
            "on" if user.get("two_factor") else "off",  # absent from older servers
            user["created_at"][:10],
            _last_sign_in(user),
            user["email"],
            user["display_name"] or "-",
        )
        for user in users
    ]
    print(table([COLUMNS, *rows]))
    print(f"streamstack: {len(users):,} user{'' if len(users) == 1 else 's'}", file=sys.stderr)
    return 0
