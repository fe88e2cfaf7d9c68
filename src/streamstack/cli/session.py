"""Signing in from the command line: ``login``, ``logout``, access tokens, and
:class:`AdminApi`, the requests of ``upload``, ``transcode`` and ``uploads`` as the signed-in
admin.

The CLI never keeps an access token: it keeps the refresh token of ``streamstack login``
(see :mod:`.credentials`) and exchanges it for a fresh access token when a command starts
and whenever the server refuses the current one (it expired mid-upload). Every exchange
rotates the refresh token, and the new one is stored at once.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal, Protocol

from streamstack.cli.credentials import SavedLogin, SavedLogins, chosen_server, server_key
from streamstack.cli.exits import CommandFailed, Failure, in_trouble
from streamstack.cli.output import span

if TYPE_CHECKING:
    import httpx

AUTH_PATH = "/api/v1/auth"


class SignInRequired(CommandFailed):
    """No usable sign-in: the message says what to run."""

    CODE = "sign_in_required"


class CodeRequired(SignInRequired):
    """The password is right and the account has two-factor authentication on: a code from
    the authenticator app (or a recovery code) is needed too."""


class AdminRequired(CommandFailed):
    """The server answered as to a non-admin (a viewer's sign-in): the command is an
    admin's. Exit 3, as the server's own 403 to an admin route: sign in as an admin."""

    CODE = "admin_required"


class ServerUnreachable(CommandFailed):
    """The server (or, renewing a token, its sign-in) could not be reached."""

    CODE = "unreachable"


class AccessTokens(Protocol):
    """Where a client gets the bearer token for its requests."""

    def current(self) -> str:
        """The token to send now; :class:`ServerUnreachable` when getting it needs a server
        that cannot be reached."""

    def renew(self) -> str:
        """A new token, after the server refused the current one (as :meth:`current`)."""


class GivenToken:
    """A token from ``--token``: it cannot be renewed."""

    def __init__(self, token: str) -> None:
        self._token = token

    def current(self) -> str:
        """The given token."""
        return self._token

    def renew(self) -> str:
        """Fail: only a sign-in (``streamstack login``) can be renewed."""
        raise SignInRequired(
            "the server refused the access token (expired or revoked); pass a new --token, "
            "or sign in once with `streamstack login` so the CLI can renew it"
        )


class SignedIn:
    """Access tokens from the refresh token that ``streamstack login`` stored."""

    def __init__(self, server: str, logins: SavedLogins, http: Any) -> None:
        self.server = server_key(server)
        self._logins = logins
        self._http = http
        self._access: str | None = None

    def current(self) -> str:
        """The access token of this run (one refresh when there is none yet)."""
        return self._access or self.renew()

    def renew(self) -> str:
        """Exchange the stored refresh token for a new pair; store the rotated one."""
        import httpx

        saved = self._logins.get(self.server)
        if saved is None:
            raise SignInRequired(f"not signed in to {self.server}: run {login_hint(self.server)}")
        if not saved.refresh_token:
            raise self._ended()
        try:
            response = self._http.post(
                f"{self.server}{AUTH_PATH}/refresh", json={"refresh_token": saved.refresh_token}
            )
        except httpx.HTTPError as exc:
            raise unreachable(self.server, exc) from exc
        if response.status_code == 401:
            # Kept without its token: the next commands still talk to (and name) this server
            # rather than the default one, and say the same, until a login or logout.
            self._logins.put(self.server, SavedLogin(saved.email, ""))
            raise self._ended()
        if in_trouble(response):  # the server's trouble, not the sign-in's
            raise server_refused(response, "refreshing the sign-in failed")
        if response.status_code != 200:
            raise SignInRequired(f"refreshing the sign-in failed: {error_detail(response)}")
        pair = response.json()
        self._logins.put(self.server, SavedLogin(saved.email, pair["refresh_token"]))
        self._access = str(pair["access_token"])
        return self._access

    def _ended(self) -> SignInRequired:
        return SignInRequired(
            f"your sign-in to {self.server} has ended (expired or signed out): "
            f"run {login_hint(self.server)}"
        )


class AdminApi:
    """Requests to one server with the access token of ``tokens``, renewed once when the
    server refuses it; :class:`ServerUnreachable` when the server cannot be reached."""

    def __init__(self, server: str, tokens: AccessTokens) -> None:
        import httpx

        self.server = server
        self.tokens = tokens
        # A request may wait while the server works on it; a tus PATCH bounds its own wait
        # (tus_client.SILENCE_SECONDS).
        self._http = httpx.Client(base_url=server, timeout=httpx.Timeout(30.0, read=600.0))

    def request(self, method: str, path: str, *, renew: bool = True, **kwargs: Any) -> Any:
        """One request; a refused token is renewed and the request sent again, unless
        ``renew`` is False (the caller renews itself and decides what to send then)."""
        response = self._send(method, path, **kwargs)
        if response.status_code == 401 and renew:
            self.renew(error_detail(response), failure_of(response))
            response = self._send(method, path, **kwargs)
        return response

    def get(self, path: str) -> Any:
        """``GET path``."""
        return self.request("GET", path)

    @contextlib.contextmanager
    def stream(
        self, url: str, *, method: str = "GET", headers: dict[str, str] | None = None
    ) -> Iterator[httpx.Response]:
        """A response whose body is read as it comes (a stream token's URL: it carries its
        own grant, so no access token goes with it)."""
        import httpx

        try:
            with self._http.stream(method, url, headers=headers or {}) as response:
                yield response
        except httpx.HTTPError as exc:
            raise unreachable(self.server, exc) from exc

    def renew(self, refusal: str, failure: Failure | None = None) -> None:
        """A new access token after ``refusal`` (the server's 401, quoted when it fails,
        with its ``failure`` when known)."""
        try:
            self.tokens.renew()
        except SignInRequired as exc:
            raise SignInRequired(f"{refusal}; {exc}", failure) from None

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        import httpx

        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {self.tokens.current()}"}
        try:
            return self._http.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise unreachable(self.server, exc) from exc


def unreachable(server: str, exc: Exception) -> ServerUnreachable:
    """What a request to ``server`` that failed with ``exc`` (an httpx error) says."""
    return ServerUnreachable(f"{server} unreachable ({exc.__class__.__name__})")


def admin_tokens(args: argparse.Namespace, server: str, auth_http: Any) -> AccessTokens:
    """``--token`` when given, else the sign-in ``streamstack login`` stored for ``server``
    (:class:`SignInRequired` when there is none)."""
    if args.token:
        return GivenToken(args.token)
    logins = SavedLogins()
    if logins.get(server) is None:
        raise SignInRequired(
            "an admin access token is required: sign in once with "
            f"{login_hint(server)}, or pass --token (or STREAMSTACK_TOKEN)"
        )
    return SignedIn(server, logins, auth_http)


@contextlib.contextmanager
def admin_api(args: argparse.Namespace) -> Iterator[AdminApi]:
    """An :class:`AdminApi` on the server ``args`` name (``--server``, or
    the one signed in to), as ``--token`` or the stored sign-in; closed after the block."""
    import httpx

    server = chosen_server(args.server)
    with httpx.Client(timeout=30.0) as auth_http:
        api = AdminApi(server, admin_tokens(args, server, auth_http))
        try:
            yield api
        finally:
            api.close()


def sign_in(
    http: Any, server: str, email: str, password: str, logins: SavedLogins, code: str | None = None
) -> str:
    """``POST /auth/login`` (with the two-factor ``code`` when given) and keep the refresh
    token; the access token. CodeRequired when a code is needed, SignInRequired when
    refused."""
    server = server_key(server)
    body = {"email": email, "password": password}
    if code is not None:  # only then: a server without two-factor refuses unknown fields
        body["code"] = code
    response = http.post(f"{server}{AUTH_PATH}/login", json=body)
    if response.status_code != 200:
        refusal = failure_of(response).code
        if refusal == "two_factor_required":
            raise CodeRequired("this account needs a code from your authenticator app")
        if refusal == "invalid_code":
            raise SignInRequired(
                "that code is not right, or was used already (codes change every 30 seconds)"
            )
        raise SignInRequired(f"sign-in refused: {error_detail(response)}")
    pair = response.json()
    logins.put(server, SavedLogin(email, pair["refresh_token"]))
    return str(pair["access_token"])


def password_was_generated(http: Any, server: str, access_token: str) -> bool:
    """Whether the signed-in account still has the password StreamStack generated and
    printed (``GET /auth/me``); False when the server does not say (an older one, or
    out of reach now: a hint is not worth failing a sign-in for)."""
    import httpx

    try:
        response = http.get(
            f"{server_key(server)}{AUTH_PATH}/me",
            headers={"Authorization": f"Bearer {access_token}"},
        )
        return response.status_code == 200 and response.json().get("password_generated") is True
    except (httpx.HTTPError, ValueError, AttributeError):  # best effort, see above
        return False


#: What ``sign_out`` came to: no sign-in kept for the server, the session ended there (or
#: had ended already), ended there in part (it can no longer be renewed, but its last access
#: token works until it expires), or the server out of reach (the sign-in forgotten here
#: alone).
SignOut = Literal["not_signed_in", "ended", "ended_in_part", "unreachable"]


def sign_out(http: Any, server: str, logins: SavedLogins) -> SignOut:
    """End the stored session on the server and forget it locally; a server that answered
    but signed nothing out (a 5xx, a throttle) raises :class:`CommandFailed` and the sign-in is kept, so
    that running it again can end the session.

    The server revokes a session through an access token of it, so the refresh token is
    exchanged first.
    """
    import httpx

    server = server_key(server)
    if logins.get(server) is None:
        return "not_signed_in"
    outcome: SignOut = "ended"
    try:
        access = SignedIn(server, logins, http).renew()
        response = http.post(
            f"{server}{AUTH_PATH}/logout", headers={"Authorization": f"Bearer {access}"}
        )
        if failure_of(response).code == "sign_out_incomplete":
            outcome = "ended_in_part"
        elif in_trouble(response):
            raise server_refused(response)
    except SignInRequired:
        pass  # ended already (expired, or signed out elsewhere)
    except (ServerUnreachable, httpx.HTTPError):
        outcome = "unreachable"
    except CommandFailed as exc:  # the server in trouble, at the refresh or the sign-out
        raise CommandFailed(
            f"the server signed nothing out and you are still signed in: run it again in a "
            f"moment: {exc}",
            exc.failure,
        ) from None
    logins.remove(server)
    return outcome


def login_hint(server: str) -> str:
    """The command that signs in to ``server``."""
    return f"`streamstack login --server {server}`"


#: What an answer of these statuses without the server's JSON (a HEAD's, or a proxy's own
#: page, nginx's "Service Temporarily Unavailable") means, in a sentence.
PLAINLY = {
    502: "the server's proxy could not reach the service behind it",
    503: "the server is unavailable for a moment",
    504: "the service behind the server's proxy did not answer in time",
}


def server_refused(response: Any, context: str = "") -> CommandFailed:
    """The failure of a command the server refused with ``response``: ``context`` (what was
    not done) then :func:`error_detail`, with what the server said for scripts."""
    said = error_detail(response)
    return CommandFailed(f"{context}: {said}" if context else said, failure_of(response))


def stopped_at(exc: CommandFailed, item_id: str, number: int, count: int) -> CommandFailed:
    """The failure that stops a command at item ``number`` of ``count`` (``item_id``),
    ``exc``: the server's trouble (out of reach, busy, failing, the sign-in refused), which
    every item after it would meet too."""
    return CommandFailed(f"stopped at item {number} of {count} ({item_id}): {exc}", exc.failure)


def failure_of(response: Any) -> Failure:
    """What the server's refusal says to a script: its status, its machine code, its
    ``Retry-After`` seconds and its request's id (the body's, else ``X-Request-ID``)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    said = body if isinstance(body, dict) else {}
    wait = response.headers.get("Retry-After", "")
    return Failure(
        error_detail(response),
        status=response.status_code,
        code=said.get("code"),
        retry_after=int(wait) if wait.isdigit() else None,
        request_id=said.get("request_id") or response.headers.get("X-Request-ID"),
    )


def error_detail(response: Any) -> str:
    """``HTTP 401: <the server's detail>``; a refusal that says when to come back
    (``Retry-After`` in seconds: a throttle, a backend down) says it too, ``(try again in
    3m)``, where the detail alone said only "later"."""
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    plainly = PLAINLY.get(response.status_code, response.reason_phrase)
    said = f"HTTP {response.status_code}: {detail or plainly}"
    wait = response.headers.get("Retry-After", "")
    if response.status_code in (429, 503) and wait.isdigit():
        seconds = int(wait)  # minutes rounded up: "1m" for 61 s would be too soon
        shown = seconds if seconds < 60 else -(-seconds // 60) * 60
        said += f" (try again in {span(datetime.timedelta(seconds=shown))})"
    return said
