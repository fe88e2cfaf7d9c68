"""``streamstack invites``: list the registration invites, create one, revoke one (the
admin's invites page, for a shell).

A code is shown once, when it is created: the server keeps only its digest, so the list
names invites by id (and note), and an invite is revoked by its id.
"""

from __future__ import annotations

import argparse
import re
import sys
import uuid
from typing import Any

from streamstack.cli.output import handed_over, print_json, table
from streamstack.cli.session import (
    AdminApi,
    admin_api,
    server_refused,
)
from streamstack.contracts.limits import INVITES_LIST_MAX
from streamstack.settings import SettingsError

#: Auth's invites: GET lists them, POST creates one; ``/{id}``: DELETE revokes it.
INVITES_PATH = "/api/v1/auth/invites"
COLUMNS = ("ID", "STATUS", "CREATED", "EXPIRES", "MAILED TO", "MADE BY", "USED BY", "NOTE")
#: Why a revoked invite stopped, in the STATUS column (the list's ``revoked_reason``).
WITHDRAWN = {
    "maker_no_longer_admin": "its maker is no longer an admin",
    "invitee_joined": "the person it was mailed to joined",
}
_DURATION = re.compile(r"(\d+)\s*([hd]?)")


def lifetime(text: str) -> int:
    """``--expires``: hours (``48``, ``48h``) or days (``7d``), as whole hours."""
    matched = _DURATION.fullmatch(text.strip().lower())
    if matched is None:
        raise argparse.ArgumentTypeError(f"not hours (48h) or days (7d): {text!r}")
    number, unit = matched.groups()
    return int(number) * (24 if unit == "d" else 1)


def run_invites(args: argparse.Namespace) -> int:
    """``streamstack invites list|create|revoke``: print the invites (the usable ones, or
    ``--all``; a table, or ``--json``), create one and print it as JSON (its code shown
    only now), or revoke one. Exit 1 when the server refuses (nothing changed then)."""
    _check(args)
    with admin_api(args) as api:
        if args.action == "list":
            return _listed(_invites(api, every=args.all), as_json=args.json)
        if args.action == "create":
            return print_json(_created(api, args.note, args.expires, args.email))
        return _revoked(api, uuid.UUID(args.invite))


def _check(args: argparse.Namespace) -> None:
    """Refuse what the command line cannot mean (a :class:`SettingsError`, exit 2)."""
    if (args.invite is not None) != (args.action == "revoke"):
        raise SettingsError(
            "invites revoke: give the invite's id"
            if args.action == "revoke"
            else f"invites {args.action}: an invite is named by revoke alone"
        )
    wrong = {
        "--all": args.all and args.action != "list",
        "--json": args.json and args.action == "revoke",
        "--note": args.note is not None and args.action != "create",
        "--expires": args.expires is not None and args.action != "create",
        "--email": args.email is not None and args.action != "create",
    }
    if given := [flag for flag, misplaced in wrong.items() if misplaced]:
        raise SettingsError(f"invites {args.action}: {', '.join(given)} go with another action")
    if args.action == "revoke":
        try:
            uuid.UUID(args.invite)
        except ValueError:
            raise SettingsError(
                "invites revoke: give the invite's id (`streamstack invites list` shows it, "
                "`invites create` printed it): the server keeps no code, only its digest, so "
                "an invite cannot be found by its code"
            ) from None


def _invites(api: AdminApi, *, every: bool) -> list[dict[str, Any]]:
    """The usable invites, or with ``every`` the used, revoked and expired ones too."""
    response = api.get(f"{INVITES_PATH}?limit={INVITES_LIST_MAX}")
    if response.status_code != 200:
        raise server_refused(response, "cannot list the invites")
    invites: list[dict[str, Any]] = response.json()["items"]
    return invites if every else [invite for invite in invites if invite["status"] == "active"]


def _listed(invites: list[dict[str, Any]], *, as_json: bool) -> int:
    """Print ``invites`` as a table (or JSON); the count on stderr."""
    if as_json:
        return print_json(invites)
    if invites:
        print(table([COLUMNS, *(_row(invite) for invite in invites)]))
    print(
        f"streamstack: {len(invites):,} invite{'' if len(invites) == 1 else 's'}", file=sys.stderr
    )
    return 0


def _row(invite: dict[str, Any]) -> tuple[str, ...]:
    """One invite's cells, in the order of :data:`COLUMNS`."""
    account = invite["used_by_account"]
    used_by = account["email"] if account else "(deleted)" if invite["used_by_deleted"] else "-"
    return (
        invite["id"],
        _status(invite),
        invite["created_at"][:10],
        _minute(invite["expires_at"]),
        invite["mailed_to"] or "-",
        invite["created_by_name"] or ("(deleted)" if invite["created_by"] else "-"),
        used_by,
        invite["note"] or "-",
    )


def _status(invite: dict[str, Any]) -> str:
    """An invite's status; a revoked one's with when and why (``revoked 2026-12-07 12:43:
    by Ada``): one withdrawn when its maker was demoted is no admin's deliberate revoke."""
    if invite["status"] != "revoked":
        return str(invite["status"])
    why = WITHDRAWN.get(invite["revoked_reason"])
    if why is None:
        why = f"by {invite['revoked_by_name'] or 'an admin'}"
    return f"revoked {_minute(invite['revoked_at'])}: {why}"


def _minute(moment: str) -> str:
    """An ISO time from the API to the minute, as a table shows it."""
    return moment[:16].replace("T", " ")


def _created(api: AdminApi, note: str | None, hours: int | None, email: str | None) -> Any:
    """A new invite with ``note``, lasting ``hours`` (the server's default without), its
    link mailed to ``email`` when given; its code, how long it lasts and where it was
    mailed, said."""
    body = {
        key: value
        for key, value in (("note", note), ("expires_in_hours", hours), ("email", email))
        if value is not None
    }
    response = api.request("POST", INVITES_PATH, json=body)
    if response.status_code != 201:
        raise server_refused(response, "no invite created")
    invite = response.json()
    terms = f", once (id {invite['id']})"
    if invite.get("mailed_to"):
        terms += f"; its link is being mailed to {invite['mailed_to']}"
    return handed_over(invite, api.server, f"invite code {invite['code']}", terms)


def _revoked(api: AdminApi, invite_id: uuid.UUID) -> int:
    """Revoke an unused invite; 1 when the server refuses (unknown, or used already)."""
    response = api.request("DELETE", f"{INVITES_PATH}/{invite_id}")
    if response.status_code != 204:
        raise server_refused(response, f"{invite_id} not revoked")
    print(f"streamstack: revoked invite {invite_id}; its code no longer registers", file=sys.stderr)
    return 0
