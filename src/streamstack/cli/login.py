"""``streamstack login`` and ``streamstack logout``: one sign-in per server, kept for uploads."""

from __future__ import annotations

import argparse
import getpass
import sys

from streamstack.cli.credentials import SavedLogins, chosen_server, server_key
from streamstack.cli.session import (
    CodeRequired,
    SignInRequired,
    password_was_generated,
    sign_in,
    sign_out,
)
from streamstack.settings import SettingsError


def password_from_stdin() -> str:
    """``--password-stdin``: the first line of standard input, without its line ending."""
    return sys.stdin.readline().removesuffix("\n").removesuffix("\r")


def run_login(args: argparse.Namespace) -> int:
    """``streamstack login``: sign in, keep the refresh token (never the password)."""
    import httpx

    server = chosen_server(args.server)
    email = args.email or input("Email: ").strip()
    if args.password_stdin:
        password = password_from_stdin()
    else:
        password = getpass.getpass(f"Password for {email}: ")
    if not email or not password:
        raise SettingsError("login: an email and a password are required")
    logins = SavedLogins()
    try:
        with httpx.Client(timeout=30.0) as http:
            try:
                access = sign_in(http, server, email, password, logins, args.code)
            except CodeRequired:
                if args.code is not None:
                    raise
                access = sign_in(http, server, email, password, logins, _asked_code())
            generated = password_was_generated(http, server, access)
    except SignInRequired as exc:
        print(f"streamstack: login failed: {exc}", file=sys.stderr)
        return 1
    except httpx.HTTPError as exc:
        print(f"streamstack: login failed: {server} unreachable ({exc})", file=sys.stderr)
        return 1
    print(f"signed in to {server} as {email} (saved in {logins.path})")
    if generated:  # as the web app says on every page until it is done
        print(
            "streamstack: this account still has the password StreamStack generated for it; "
            f"set your own on the Account page: {server_key(server)}/account",
            file=sys.stderr,
        )
    return 0


def _asked_code() -> str:
    """The two-factor code, asked on the terminal (a code is used once: no need to hide it)."""
    prompt = "Code from your authenticator app (or a recovery code): "
    try:
        code = input(prompt).strip()
    except EOFError:
        code = ""
    if not code:
        raise SignInRequired(
            "this account has two-factor authentication on: give the code from your "
            "authenticator app (or a recovery code), or --code CODE"
        )
    return code


def run_logout(args: argparse.Namespace) -> int:
    """``streamstack logout``: end the session on the server, forget it here (also when the
    server is out of reach; kept when it answered but signed nothing out)."""
    import httpx

    server = chosen_server(args.server)
    with httpx.Client(timeout=10.0) as http:
        outcome = sign_out(http, server, SavedLogins())
    if outcome == "unreachable":
        print(
            f"streamstack: logout: {server} unreachable: the sign-in is forgotten here, but its "
            "session on the server lasts until it expires (sign out everywhere from the web "
            "app's account page to end it now)",
            file=sys.stderr,
        )
        return 1
    if outcome == "ended_in_part":
        # Exit 0, not 75: the sign-in is forgotten and the session cannot be renewed, so
        # running it again does nothing more; the access token ends on its own in minutes.
        print(
            f"streamstack: logout: part of {server} is not answering: the session can no "
            "longer be renewed, but its last access token works until it expires, so the "
            "sign-out takes full effect within a few minutes",
            file=sys.stderr,
        )
    print(f"not signed in to {server}" if outcome == "not_signed_in" else f"signed out of {server}")
    return 0
