"""HTTP routes of the auth module, under ``/api/v1/auth``: thin translations to the service."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import Parameter
from litestar.response import Redirect

from streamstack.auth import unsubscribe
from streamstack.auth.credentials import MAX_EMAIL_CHARS
from streamstack.auth.schemas import (
    AccountDeletion,
    AuthConfig,
    EmailChange,
    EmailConfirmation,
    EmailConfirmed,
    InviteCreated,
    InviteList,
    InviteRequest,
    LoginRequest,
    PasswordChange,
    PasswordResetAccount,
    PasswordResetCheck,
    PasswordResetCreated,
    PasswordResetMailRequest,
    PasswordResetRequest,
    PendingEmailView,
    ProfileChange,
    PublicKeySet,
    RecoveryCodes,
    RefreshRequest,
    RegisterRequest,
    SessionList,
    TokenPair,
    TwoFactorEnable,
    TwoFactorProof,
    TwoFactorSetup,
    TwoFactorSetupRequest,
    TwoFactorStatus,
    Unsubscribed,
    UserChange,
    UserPage,
    UserView,
)
from streamstack.auth.service import (
    AuthService,
    ClientInfo,
    Registration,
    SignOutIncomplete,
    clean_user_agent,
)
from streamstack.auth.tokens import IssuedTokens
from streamstack.contracts.auth import Role
from streamstack.contracts.limits import (
    INVITES_LIST_MAX,
    LIST_LIMIT_MAX,
    LIST_OFFSET_MAX,
    ONE_LINE,
)
from streamstack.contracts.streaming import STILLS_PASS_COOKIE, THUMBNAILS_PATH
from streamstack.kernel.authentication import Principal
from streamstack.kernel.dependencies import CALLER, provide_values
from streamstack.kernel.errors import BadRequest, ServiceUnavailable, Unauthorized
from streamstack.kernel.guards import OPEN_TO_GUESTS, authenticate, requires_admin
from streamstack.kernel.http import client_address, error_response
from streamstack.kernel.module import ModuleRouter
from streamstack.kernel.openapi import BEARER, error_responses

PREFIX = "/api/v1/auth"
REFRESH_COOKIE = "streamstack_refresh"
#: Request header by which the SPA asks for the refresh token as an HttpOnly cookie.
COOKIE_MODE_HEADER = "x-refresh-cookie"

# Handler parameters filled by the router's dependencies, by name (``principal`` is the
# kernel's verified, unrevoked caller).
Auth = NamedDependency[AuthService]
Caller = NamedDependency[Principal]
KeySet = NamedDependency[PublicKeySet]
#: None when no mail server is configured.


#: A 204 has no body: documented without one (it only clears the refresh cookie).
SIGNED_OUT = {204: ResponseSpec(data_container=None, description="Signed out; no body.")}


def _sign_out_answers(which: str) -> dict[int, ResponseSpec]:
    """A sign-out's answers, ``which`` naming the sessions it ends: also its 503 when the
    revocation list is away."""
    return {
        **SIGNED_OUT,
        **error_responses(
            {
                503: f"Signed out in part (`sign_out_incomplete`): {which} can no longer be "
                "renewed and both cookies are cleared, but access tokens already issued work "
                "until they expire; or nothing changed (another code): sign out again in a "
                "moment.",
            }
        ),
    }


@dataclasses.dataclass(frozen=True, slots=True)
class RefreshCookie:
    """How the refresh token travels to browsers: an HttpOnly cookie scoped to auth; and,
    for an admin, the access token in the stills pass, an HttpOnly cookie scoped to the
    thumbnails (:data:`~streamstack.contracts.streaming.STILLS_PASS_COOKIE`: an ``<img>``
    sends no bearer, and an unpublished item's thumbnail is shown to admins alone).

    ``Secure`` whenever the request came over HTTPS (to us, or to a trusted proxy that says
    so in ``X-Forwarded-Proto``), with no setting needed; ``secure`` (the setting) marks it
    on every response, for a TLS proxy that does not say so. Over plain HTTP (the dev
    server, a LAN address) a ``Secure`` cookie would not be kept at all.
    """

    secure: bool
    max_age: int

    @staticmethod
    def requested(request: Request[Any, Any, Any]) -> bool:
        """Whether the client asked for cookie mode (``X-Refresh-Cookie: 1``)."""
        return request.headers.get(COOKIE_MODE_HEADER, "").strip() == "1"

    def carrying(self, request: Request[Any, Any, Any], issued: IssuedTokens) -> list[Cookie]:
        """The cookies that hold ``issued``: its refresh token, and for an admin its access
        token in the stills pass."""
        cookies = [
            self._cookie(request, REFRESH_COOKIE, PREFIX, issued.refresh.token, self.max_age)
        ]
        if issued.role == "admin":
            cookies.append(self._stills_pass(request, issued.access.token, issued.expires_in))
        return cookies

    def presented(self, request: Request[Any, Any, Any]) -> str | None:
        """The refresh token of the cookie, for a client in cookie mode that sent one."""
        return (request.cookies.get(REFRESH_COOKIE) or None) if self.requested(request) else None

    def cleared(self, request: Request[Any, Any, Any]) -> Cookie:
        """A cookie that makes the browser forget the refresh token."""
        return self._cookie(request, REFRESH_COOKIE, PREFIX, "", 0)

    def _stills_pass(self, request: Request[Any, Any, Any], token: str, max_age: int) -> Cookie:
        """The stills pass holding ``token`` for ``max_age`` s (``""``, 0: the browser forgets it)."""
        return self._cookie(request, STILLS_PASS_COOKIE, THUMBNAILS_PATH, token, max_age)

    def token_pair(
        self, request: Request[Any, Any, Any], issued: IssuedTokens
    ) -> Response[TokenPair]:
        """The login/refresh answer: the refresh token in JSON, or in the cookie."""
        in_cookie = self.requested(request)
        body = TokenPair(
            access_token=issued.access.token,
            refresh_token=None if in_cookie else issued.refresh.token,
            expires_in=issued.expires_in,
        )
        cookies = self.carrying(request, issued) if in_cookie else []
        return Response(body, status_code=200, cookies=cookies, headers=_NO_STORE)

    def signed_out(
        self, request: Request[Any, Any, Any], incomplete: SignOutIncomplete | None = None
    ) -> Response[Any]:
        """The logout answer: no body (or, ``incomplete``, its 503), and the browser told
        to forget both cookies either way."""
        cookies = [self.cleared(request), self._stills_pass(request, "", 0)]
        if incomplete is None:
            return Response(None, status_code=204, cookies=cookies)
        answer = error_response(request, incomplete.body(), incomplete.headers)
        for cookie in cookies:
            answer.set_cookie(cookie)
        return answer

    def _cookie(
        self, request: Request[Any, Any, Any], key: str, path: str, value: str, max_age: int
    ) -> Cookie:
        return Cookie(
            key=key,
            value=value,
            max_age=max_age,
            path=path,
            httponly=True,
            samesite="strict",
            secure=self.secure or request.url.scheme == "https",
        )


_NO_STORE = {"Cache-Control": "no-store"}
#: How a role change, a disabling or a deletion refuses to leave no enabled admin.
LAST_ADMIN = error_responses({409: "The last enabled admin (`last_admin`)."})
Cookies = NamedDependency[RefreshCookie]


def client_info(request: Request[Any, Any, Any]) -> ClientInfo:
    """The caller's address (as the proxy reported it) and user agent."""
    return ClientInfo(client_address(request), clean_user_agent(request.headers.get("user-agent")))


class AccountController(Controller):
    """Register, sign in, refresh: the routes before a sign-in."""

    path = ""
    opt = OPEN_TO_GUESTS

    @get("/config", cache_control=None)
    async def config(self, auth: Auth) -> Response[AuthConfig]:
        """Public: how accounts are created (``open``, ``invite`` or ``closed``), so the SPA
        shows the invite-code field or hides registration, and whether the server sends mail
        (``mail``: "Forgot your password?" links, invites by email), and what a signed-out
        visitor may see (``guest_access``: ``none`` on a members-only server), and the
        server's name (``site_name``) for the SPA's header and tab titles."""
        config = AuthConfig(
            auth.registration_mode,
            guest_access=auth.guest_access,
            mail=auth.mail is not None,
            site_name=auth.site_name,
        )
        return Response(config, headers={"Cache-Control": "no-cache"})

    @post(
        "/register",
        status_code=201,
        responses=error_responses(
            {
                403: "Registration is closed (`registration_disabled`), or the invite code is "
                "missing or not valid (`invite_required`, `invalid_invite`).",
                400: "The display name is shaped as an email address (`display_name_email`), "
                "or another field is not valid.",
                409: "An account with this email exists (`email_taken`), or the display name "
                "could be taken for an admin's (`display_name_reserved`).",
                429: "Too many registrations from this address (`registration_throttled`).",
            }
        ),
    )
    async def register(
        self, request: Request[Any, Any, Any], data: RegisterRequest, auth: Auth
    ) -> UserView:
        """Create a viewer account (with an invite code when registration is by invitation)."""
        form = Registration(data.email, data.password, data.display_name, data.invite_code)
        return await auth.register(form, client_info(request))

    @post(
        "/login",
        status_code=200,
        responses=error_responses(
            {
                401: "Wrong email or password (`invalid_credentials`); for an account with "
                "two-factor authentication on, a code is needed (`two_factor_required`), or "
                "the code is wrong, expired or used (`invalid_code`).",
                403: "The account is disabled (`account_disabled`).",
                429: "Too many sign-in attempts (`login_throttled`).",
            }
        ),
    )
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: LoginRequest,
        auth: Auth,
        refresh_cookie: Cookies,
    ) -> Response[TokenPair]:
        """Exchange email and password (and, with two-factor authentication on, a code from
        the authenticator app or a recovery code) for an access and a refresh token."""
        issued = await auth.login(data.email, data.password, client_info(request), data.code)
        return refresh_cookie.token_pair(request, issued)

    @post(
        "/refresh",
        status_code=200,
        responses=error_responses({401: "The refresh token is invalid, expired or revoked."}),
    )
    async def refresh(
        self,
        request: Request[Any, Any, Any],
        auth: Auth,
        refresh_cookie: Cookies,
        data: RefreshRequest | None = None,
    ) -> Response[TokenPair]:
        """A new pair for a refresh token (from the body, or the cookie in cookie mode)."""
        token = data.refresh_token if data is not None else None
        from_cookie = token is None and refresh_cookie.requested(request)
        if from_cookie:
            token = refresh_cookie.presented(request)
        if token is None:
            raise Unauthorized("a refresh token is required", code="invalid_token")
        try:
            issued = await auth.refresh(token, client_info(request))
        except Unauthorized as exc:
            if from_cookie:  # a dead cookie is dropped so the browser stops presenting it
                exc.headers["Set-Cookie"] = refresh_cookie.cleared(request).to_header(header="")
            raise
        return refresh_cookie.token_pair(request, issued)


class MyAccountController(Controller):
    """The signed-in caller's account: sign out, who am I, profile, password, deleting it."""

    path = ""
    security = BEARER

    @post(
        "/logout",
        status_code=204,
        responses=_sign_out_answers("the session"),
        opt=OPEN_TO_GUESTS,
    )
    async def logout(
        self, request: Request[Any, Any, Any], auth: Auth, refresh_cookie: Cookies
    ) -> Response[None]:
        """Revoke this access token and its session.

        Open to guests only so that the members-only guard does not authenticate first:
        the caller is authenticated here, as everywhere (401, revoked token included),
        and while the revocation list cannot be read (which makes that a 503), a browser's
        refresh cookie (cookie mode) still signs its session out: see
        ``AuthService.logout_by_refresh_token``. Both cookies are cleared whenever the
        session was signed out, also when the answer is 503 ``sign_out_incomplete``.
        """
        return await _sign_out(request, auth, refresh_cookie, everywhere=False)

    @post(
        "/logout-all",
        status_code=204,
        responses=_sign_out_answers("every session of the account"),
        opt=OPEN_TO_GUESTS,
    )
    async def logout_all(
        self, request: Request[Any, Any, Any], auth: Auth, refresh_cookie: Cookies
    ) -> Response[None]:
        """Revoke every session of the caller; while the revocation list is away, as logout
        does (the refresh cookie of a browser's session names its account)."""
        return await _sign_out(request, auth, refresh_cookie, everywhere=True)

    @get("/me")
    async def me(self, principal: Caller, auth: Auth) -> UserView:
        """The signed-in user."""
        return await auth.current_user(principal)

    @patch(
        "/me",
        responses=error_responses(
            {
                400: "A field is not valid, or a display name is shaped as an email address "
                "(`display_name_email`).",
                403: "`admin_mail` given by an account that is not an admin (`admins_only`).",
                409: "The display name could be taken for an admin's (`display_name_reserved`).",
            }
        ),
    )
    async def change_profile(self, principal: Caller, auth: Auth, data: ProfileChange) -> UserView:
        """Change the signed-in user's display name (null or blank removes it), whether they
        are mailed when someone replies to their comments (``reply_mail``), whether an admin
        is mailed when a video fails to transcode or a comment is reported (``admin_mail``,
        admins alone), or several."""
        return await auth.change_profile(principal, data)

    @post(
        "/password",
        status_code=204,
        responses=error_responses(
            {
                403: "The current password is wrong (`wrong_password`).",
                429: "Too many attempts (`login_throttled`).",
            }
        ),
    )
    async def change_password(
        self, request: Request[Any, Any, Any], principal: Caller, auth: Auth, data: PasswordChange
    ) -> None:
        """Change the password (the current one is required); other sessions are signed out."""
        await auth.change_password(
            principal, data.current_password, data.new_password, client_info(request)
        )

    @post(
        "/me/email",
        status_code=202,
        responses=error_responses(
            {
                400: "Malformed, or the account's own email already (`same_email`).",
                403: "The current password is wrong (`wrong_password`).",
                409: "Another account has this email (`email_taken`), or no mail server "
                "is configured to confirm it (`mail_disabled`).",
                429: "Too many attempts (`login_throttled`).",
            }
        ),
    )
    async def change_email(
        self, request: Request[Any, Any, Any], principal: Caller, auth: Auth, data: EmailChange
    ) -> PendingEmailView:
        """Ask to sign in with another email (the current password is required): a
        single-use, one-hour link is mailed to it (at ``STREAMSTACK_PUBLIC_URL``), and the
        sign-in email changes only when the link is opened (``POST /email-confirmations``).
        A newer request withdraws the older link."""
        return await auth.change_own_email(
            principal, data.email, data.current_password, client_info(request)
        )

    @get("/me/email")
    async def pending_email(self, principal: Caller, auth: Auth) -> PendingEmailView:
        """The sign-in email the caller asked for whose link still works (nulls if none)."""
        return await auth.pending_email(principal)

    @delete("/me/email", status_code=204)
    async def cancel_pending_email(self, principal: Caller, auth: Auth) -> None:
        """Withdraw the link mailed to the email the caller asked for; the email stays."""
        await auth.cancel_pending_email(principal)

    @post(
        "/me/delete",
        status_code=204,
        responses={
            **SIGNED_OUT,
            **error_responses(
                {
                    403: "The password is wrong (`wrong_password`).",
                    409: "The last enabled admin (`last_admin`).",
                    429: "Too many attempts (`login_throttled`).",
                }
            ),
        },
    )
    async def delete_account(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        auth: Auth,
        refresh_cookie: Cookies,
        data: AccountDeletion,
    ) -> Response[None]:
        """Delete the signed-in user's own account (the password is required): every session
        ends, and the other modules forget them (their watch history goes)."""
        await auth.delete_own_account(principal, data.password, client_info(request))
        return refresh_cookie.signed_out(request)


#: How the password-and-code proofs (turning off, new recovery codes) refuse.
PROOF_REFUSALS = error_responses(
    {
        403: "The password is wrong (`wrong_password`), or the code is wrong, expired or "
        "used (`invalid_code`).",
        409: "Two-factor authentication is off (`two_factor_off`).",
        429: "Too many attempts (`login_throttled`).",
    }
)


class TwoFactorController(Controller):
    """The caller's two-factor authentication: a code from an authenticator app (TOTP) at
    sign-in besides the password, and recovery codes for a lost phone."""

    path = "/me/two-factor"
    security = BEARER

    @get("")
    async def two_factor_status(self, principal: Caller, auth: Auth) -> TwoFactorStatus:
        """Whether sign-in needs a code, since when, and how many recovery codes are left."""
        return await auth.two_factor_status(principal)

    @post(
        "/setup",
        status_code=201,
        responses=error_responses(
            {
                403: "The password is wrong (`wrong_password`).",
                409: "Two-factor authentication is already on (`two_factor_on`).",
                429: "Too many attempts (`login_throttled`).",
            }
        ),
    )
    async def start_two_factor(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        auth: Auth,
        data: TwoFactorSetupRequest,
    ) -> Response[TwoFactorSetup]:
        """Start (or start again) a setup: the secret for the authenticator app, and the
        ``otpauth://`` URI of its QR code. Sign-in is unchanged until ``/enable``."""
        setup = await auth.start_two_factor(principal, data.password, client_info(request))
        return Response(setup, status_code=201, headers=_NO_STORE)

    @post(
        "/enable",
        status_code=200,
        responses=error_responses(
            {
                403: "The code is wrong or expired (`invalid_code`).",
                409: "No setup was started in the last 15 minutes (`two_factor_not_set_up`), "
                "or two-factor authentication is already on (`two_factor_on`).",
                429: "Too many wrong codes or passwords (`login_throttled`).",
            }
        ),
    )
    async def enable_two_factor(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        auth: Auth,
        data: TwoFactorEnable,
    ) -> Response[RecoveryCodes]:
        """Turn two-factor authentication on with the first code from the app: ten recovery
        codes, shown only in this answer. Every other session of the account is signed out
        (this one stays signed in)."""
        codes = await auth.enable_two_factor(principal, data.code, client_info(request))
        return Response(codes, headers=_NO_STORE)

    @post("/disable", status_code=204, responses=PROOF_REFUSALS)
    async def disable_two_factor(
        self, request: Request[Any, Any, Any], principal: Caller, auth: Auth, data: TwoFactorProof
    ) -> None:
        """Turn two-factor authentication off (the password and a code are required)."""
        await auth.disable_two_factor(principal, data.password, data.code, client_info(request))

    @post("/recovery-codes", status_code=200, responses=PROOF_REFUSALS)
    async def renew_recovery_codes(
        self, request: Request[Any, Any, Any], principal: Caller, auth: Auth, data: TwoFactorProof
    ) -> Response[RecoveryCodes]:
        """A new set of recovery codes (the old ones stop working), shown only in this answer."""
        client = client_info(request)
        codes = await auth.renew_recovery_codes(principal, data.password, data.code, client)
        return Response(codes, headers=_NO_STORE)


class SessionController(Controller):
    """The caller's sessions (one per sign-in)."""

    path = "/sessions"
    security = BEARER

    @get("")
    async def list_sessions(self, principal: Caller, auth: Auth) -> SessionList:
        """Active sessions, the current one flagged."""
        return SessionList(await auth.list_sessions(principal))

    @delete("/{session_id:uuid}", status_code=204)
    async def revoke_session(self, principal: Caller, auth: Auth, session_id: uuid.UUID) -> None:
        """Sign out one session."""
        await auth.revoke_session(principal, session_id)


class UserAdminController(Controller):
    """Admin: list users, change roles."""

    path = "/users"
    tags = ["admin"]
    security = BEARER
    guards = [requires_admin]

    @get("")
    async def list_users(
        self,
        auth: Auth,
        q: Annotated[
            str | None,
            Parameter(
                max_length=MAX_EMAIL_CHARS,
                pattern=ONE_LINE,
                description="only users whose email or display name contains this text, "
                "case and accents aside ('jose' finds 'José Ruiz'); % and _ are literal",
            ),
        ] = None,
        role: Annotated[Role | None, Parameter(description="only users of this role")] = None,
        disabled: Annotated[
            bool | None,
            Parameter(description="true: only disabled accounts; false: only enabled ones"),
        ] = None,
        limit: Annotated[int, Parameter(ge=1, le=LIST_LIMIT_MAX)] = 20,
        offset: Annotated[int, Parameter(ge=0, le=LIST_OFFSET_MAX)] = 0,
        # Named as the query names it, so a refusal names it too (an alias would say "ids").
        id: Annotated[
            list[uuid.UUID] | None,
            Parameter(
                max_items=LIST_LIMIT_MAX,
                description="only these users (repeat the parameter): the names behind ids "
                "other modules show, such as an upload's uploader",
            ),
        ] = None,
    ) -> UserPage:
        """One page of users, newest first."""
        return await auth.list_users(q, limit, offset, ids=id, role=role, disabled=disabled)

    @patch(
        "/{user_id:uuid}",
        responses=error_responses(
            {
                409: "The last enabled admin (`last_admin`), or another account has this "
                "email (`email_taken`)."
            }
        ),
    )
    async def change_user(
        self, principal: Caller, auth: Auth, user_id: uuid.UUID, data: UserChange
    ) -> UserView:
        """Set a user's role (``viewer`` or ``admin``), sign-in email, or both at once."""
        role = None if isinstance(data.role, msgspec.UnsetType) else data.role
        email = None if isinstance(data.email, msgspec.UnsetType) else data.email
        return await auth.change_user(user_id, role=role, email=email, by=principal.user_id)

    @post(
        "/{user_id:uuid}/disable",
        status_code=200,
        responses=LAST_ADMIN,
    )
    async def disable_user(self, principal: Caller, auth: Auth, user_id: uuid.UUID) -> UserView:
        """Disable an account: every token of it stops working now, sign-in is refused."""
        return await auth.set_disabled(user_id, True, by=principal.user_id)

    @post("/{user_id:uuid}/enable", status_code=200)
    async def enable_user(self, principal: Caller, auth: Auth, user_id: uuid.UUID) -> UserView:
        """Enable a disabled account again (its sessions stay signed out)."""
        return await auth.set_disabled(user_id, False, by=principal.user_id)

    @delete(
        "/{user_id:uuid}",
        status_code=204,
        responses=LAST_ADMIN,
    )
    async def delete_user(self, principal: Caller, auth: Auth, user_id: uuid.UUID) -> None:
        """Delete an account and its sessions; other modules hear of it by an event."""
        await auth.delete_user(user_id, by=principal.user_id)

    @delete("/{user_id:uuid}/two-factor", status_code=204)
    async def turn_off_two_factor(self, principal: Caller, auth: Auth, user_id: uuid.UUID) -> None:
        """Turn a user's two-factor authentication off (they lost their phone and their
        recovery codes): they sign in with their password alone until they set it up again.
        Already off is fine."""
        await auth.turn_off_two_factor(user_id, by=principal.user_id)

    @post("/{user_id:uuid}/password-reset", status_code=201)
    async def issue_password_reset(
        self, principal: Caller, auth: Auth, user_id: uuid.UUID
    ) -> Response[PasswordResetCreated]:
        """A single-use reset code for the user, valid one hour, shown only in this answer."""
        created = await auth.issue_password_reset(principal, user_id)
        return Response(created, status_code=201, headers=_NO_STORE)


#: How both reset routes refuse a code (they share one per-address throttle).
RESET_REFUSALS = error_responses(
    {
        403: "Unknown, used or expired code (`invalid_reset_code`).",
        429: "Too many attempts from this address (`reset_throttled`).",
    }
)


class PasswordResetController(Controller):
    """The public end of an admin-issued password reset."""

    path = "/password-reset"
    opt = OPEN_TO_GUESTS

    @post("", status_code=204, responses=RESET_REFUSALS)
    async def reset_password(
        self, request: Request[Any, Any, Any], auth: Auth, data: PasswordResetRequest
    ) -> None:
        """Set a new password with a reset code; every session of the account is signed out."""
        await auth.reset_password(data.code, data.new_password, client_info(request))

    @post("/check", status_code=200, responses=RESET_REFUSALS)
    async def check_reset_code(
        self, request: Request[Any, Any, Any], auth: Auth, data: PasswordResetCheck
    ) -> Response[PasswordResetAccount]:
        """Whether a reset code is still usable (200, with the email of the account it is
        for, masked) or not (403), without using it: the SPA asks before showing its form,
        and names the account. Counted like a reset against the address."""
        account = await auth.check_reset_code(data.code, client_info(request))
        return Response(account, headers=_NO_STORE)


class EmailConfirmationController(Controller):
    """The link mailed to a new sign-in email: opened, it becomes the account's."""

    path = "/email-confirmations"
    opt = OPEN_TO_GUESTS

    @post(
        "",
        status_code=200,
        responses=error_responses(
            {
                403: "Unknown, used, replaced or expired code (`invalid_email_code`).",
                409: "Another account took this email meanwhile (`email_taken`).",
            }
        ),
    )
    async def confirm_email(
        self, request: Request[Any, Any, Any], auth: Auth, data: EmailConfirmation
    ) -> Response[EmailConfirmed]:
        """Make the email a link was mailed to its account's sign-in email, with the link's
        code (no sign-in needed: holding it proves the mail was read); the old email is told
        and no longer signs in, sessions stay signed in."""
        confirmed = await auth.confirm_email(data.code, client_info(request))
        return Response(confirmed, headers=_NO_STORE)


#: The longest one-click token taken: a sealed account id and email, with room to spare.
UNSUBSCRIBE_TOKEN_MAX = 1000
#: A one-click unsubscribe's query: the kind of mail and the token mailed with it.
Kind = Annotated[unsubscribe.MailChoice, Parameter(description="The kind of mail to turn off.")]
Token = Annotated[
    str,
    Parameter(max_length=UNSUBSCRIBE_TOKEN_MAX, description="The token the mail carried."),
]


@dataclasses.dataclass
class OneClickOperation(Operation):
    """The one-click POST's OpenAPI operation: RFC 8058's form, which mail providers send
    as ``multipart/form-data`` or urlencoded; the handler reads either (Litestar, one)."""

    def __post_init__(self) -> None:
        form = OpenAPIMediaType(
            schema=Schema(
                type=OpenAPIType.OBJECT,
                properties={
                    "List-Unsubscribe": Schema(
                        type=OpenAPIType.STRING, enum=[unsubscribe.ONE_CLICK]
                    )
                },
                required=["List-Unsubscribe"],
            )
        )
        self.request_body = RequestBody(
            content={"application/x-www-form-urlencoded": form, "multipart/form-data": form},
            required=True,
        )


class UnsubscribeController(Controller):
    """The ``List-Unsubscribe`` address of mail a member may turn off (RFC 8058)."""

    path = unsubscribe.API_PATH.removeprefix(PREFIX)
    opt = OPEN_TO_GUESTS

    @get("", status_code=303, cache_control=None)
    async def unsubscribe_page(self, kind: Kind, token: Token) -> Redirect:
        """A browser (or a mail scanner) opening the link: sent on to the SPA's page, which
        says what the link turns off and asks first. Nothing changes."""
        page = f"{unsubscribe.PAGE_PATH}#{unsubscribe.query(kind, token)}"
        return Redirect(page, status_code=303, headers=_NO_STORE)

    @post(
        "",
        status_code=200,
        operation_class=OneClickOperation,
        responses=error_responses(
            {
                400: "The body is not `List-Unsubscribe=One-Click` (`one_click_required`), or "
                "the token is altered, of another kind, or stale: the account's email changed "
                "since (`invalid_unsubscribe_link`).",
                404: "The account was deleted (`account_not_found`).",
            }
        ),
    )
    async def unsubscribe(
        self, request: Request[Any, Any, Any], auth: Auth, kind: Kind, token: Token
    ) -> Unsubscribed:
        """Turn this kind of mail off for the account the token names, without a sign-in
        (the token came in its mail); the Account page turns it on again."""
        form = await request.form()
        if form.get("List-Unsubscribe") != unsubscribe.ONE_CLICK:
            raise BadRequest(
                "send the form List-Unsubscribe=One-Click (RFC 8058)", code="one_click_required"
            )
        return await auth.unsubscribe_by_link(kind, token)


#: How ``POST /password-reset/request`` refuses.
RESET_MAIL_REFUSALS = error_responses(
    {
        403: "No mail server is configured: an admin issues reset links "
        "(`reset_by_email_disabled`).",
        429: "Too many requests from this address, or for this email "
        "(`reset_throttled`, with `Retry-After`).",
    }
)


INVITE_REFUSALS = error_responses(
    {
        409: "An email was given but no mail server is configured (`mail_disabled`), an "
        "account has it (`invitee_is_member`), or an invite mailed to it is still active "
        "(`invite_pending`).",
        429: "This admin mailed too many invites in a minute (`invite_mail_throttled`, with "
        "`Retry-After`).",
    }
)


class PasswordResetMailController(Controller):
    """ "Forgot your password?": a reset link by mail."""

    path = "/password-reset/request"
    opt = OPEN_TO_GUESTS

    @post("", status_code=202, responses=RESET_MAIL_REFUSALS)
    async def request_reset_mail(
        self,
        request: Request[Any, Any, Any],
        auth: Auth,
        data: PasswordResetMailRequest,
    ) -> None:
        """Mail a single-use, one-hour reset link to this email if an enabled account has it.
        The same 202 for every email (no mail when no account has it), before the mail is
        sent; the link points at ``STREAMSTACK_PUBLIC_URL``, never at the request's host."""
        await auth.request_reset_mail(data.email, client_info(request))


class InviteController(Controller):
    """Admin: single-use invite codes for registration by invitation."""

    path = "/invites"
    tags = ["admin"]
    security = BEARER
    guards = [requires_admin]

    @post("", status_code=201, responses=INVITE_REFUSALS)
    async def create_invite(
        self, principal: Caller, auth: Auth, data: InviteRequest | None = None
    ) -> Response[InviteCreated]:
        """A new invite code, shown only in this answer, with the note that tells it apart;
        with ``email``, its link is mailed there after the answer (``mailed_to``)."""
        request = data or InviteRequest()
        created = await auth.create_invite(
            principal, request.expires_in_hours, request.note, request.email
        )
        return Response(created, status_code=201, headers=_NO_STORE)

    @get("")
    async def list_invites(
        self, auth: Auth, limit: Annotated[int, Parameter(ge=1, le=INVITES_LIST_MAX)] = 100
    ) -> InviteList:
        """The invites still usable, then the others, each part newest first (without their
        codes), and what became of each."""
        return await auth.list_invites(limit)

    @delete(
        "/{invite_id:uuid}",
        status_code=204,
        responses=error_responses({409: "The invite was already used (`invite_used`)."}),
    )
    async def revoke_invite(self, principal: Caller, auth: Auth, invite_id: uuid.UUID) -> None:
        """Revoke an unused invite."""
        await auth.revoke_invite(principal, invite_id)


class KeysController(Controller):
    """The public key set, for anyone verifying StreamStack tokens."""

    path = "/.well-known"
    opt = OPEN_TO_GUESTS

    @get("/jwks.json", cache_control=None)
    async def jwks(self, key_set: KeySet) -> Response[PublicKeySet]:
        """Public signing keys with their ``kid``."""
        return Response(key_set, headers={"Cache-Control": "public, max-age=300"})


def auth_router(
    auth: AuthService,
    refresh_cookie: RefreshCookie,
    key_set: PublicKeySet,
) -> ModuleRouter:
    """Every auth route, with the service and the caller as dependencies."""
    return ModuleRouter(
        path=PREFIX,
        tags=["auth"],
        route_handlers=[
            AccountController,
            MyAccountController,
            TwoFactorController,
            SessionController,
            UserAdminController,
            PasswordResetController,
            PasswordResetMailController,
            EmailConfirmationController,
            UnsubscribeController,
            InviteController,
            KeysController,
        ],
        dependencies={
            **provide_values(auth=auth, refresh_cookie=refresh_cookie, key_set=key_set),
            **CALLER,
        },
    )


async def _sign_out(
    request: Request[Any, Any, Any],
    auth: AuthService,
    refresh_cookie: RefreshCookie,
    *,
    everywhere: bool,
) -> Response[None]:
    """Sign the caller out (``everywhere``: all of their sessions), by the refresh cookie
    when no access token can be checked; the cookies are cleared whenever the sessions were
    signed out, also when the answer is 503 ``sign_out_incomplete``."""
    try:
        try:
            principal = await authenticate(request)
        except ServiceUnavailable:
            token = refresh_cookie.presented(request)
            if token is None:
                raise  # nothing changed: the client signs out again in a moment
            await auth.logout_by_refresh_token(token, everywhere=everywhere)
        await auth.logout(principal, everywhere=everywhere)
    except SignOutIncomplete as incomplete:
        return refresh_cookie.signed_out(request, incomplete)
    return refresh_cookie.signed_out(request)
