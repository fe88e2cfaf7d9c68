"""Security headers on every answer the app sends (nginx sends the same in production).

* ``Content-Security-Policy``: everything from our own origin only; ``blob:`` for media and
  workers (an HLS player feeds ``<video>`` from MediaSource blobs, in a worker), ``data:``
  images; no plugins, no ``<base>`` tricks, forms post to us only, and no page may frame
  us (``frame-ancestors 'none'``, with ``X-Frame-Options: DENY`` for old browsers) but the
  paths the app names frameable (a share link's embed page), whose ancestors are the ones
  it gives (``frame-ancestors *`` by default) and which carry no ``X-Frame-Options``.
* ``Referrer-Policy: strict-origin-when-cross-origin``: other sites see our origin at most,
  never a path (paths can carry stream tokens).
* ``X-Content-Type-Options: nosniff``: a file is run only as the type we say it is.
* ``Permissions-Policy``: no camera, microphone, location, payment, USB or sensors; the
  player may go full screen and picture-in-picture on our own origin (``self`` is the
  framed page's origin too: a page framing it grants them with ``allow="fullscreen;
  picture-in-picture"``).
* ``Strict-Transport-Security`` on answers to HTTPS requests (as uvicorn sees them: directly,
  or by a trusted proxy's ``X-Forwarded-Proto``), or on every answer when the deployment
  says it is HTTPS (``STREAMSTACK_SECURE_COOKIES``): once a browser has reached us over
  HTTPS it never again sends a cookie or a token in clear. Browsers ignore the header over
  HTTP, and it names no subdomains, which the operator may serve otherwise.

Answers to a request carrying ``Authorization`` (a bearer token: a member's profile,
sessions, the users list, invites, share links' secrets, stream grants) get
``Cache-Control: no-store``: they are one person's, and a shared machine's disk cache or a
proxy that ignores RFC 9111's rule on authorized requests must not keep them.

The API documentation (``/api/docs``) needs no exception: its viewer's scripts and styles
are files the app serves itself (``kernel.apidocs``). A handler that sets one of these
headers itself keeps its own value.
"""

from __future__ import annotations

import re

from litestar.types import ASGIApp, Message, Receive, Scope, Send

#: The sources of every answer's policy but ``frame-ancestors``.
_SOURCES = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)


def content_security_policy(frame_ancestors: str = "'none'") -> str:
    """The policy, with ``frame-ancestors`` the pages that may frame the answer."""
    return f"{_SOURCES}; frame-ancestors {frame_ancestors}"


#: What an answer to a request with ``Authorization`` may be kept as, unless it says.
AUTHORIZED_CACHE_CONTROL = (b"cache-control", b"no-store")


#: The policy of every answer but those of frameable paths.
CONTENT_SECURITY_POLICY = content_security_policy()
PERMISSIONS_POLICY = ", ".join(
    [
        "accelerometer=()",
        "autoplay=(self)",
        "camera=()",
        "display-capture=()",
        "fullscreen=(self)",
        "geolocation=()",
        "gyroscope=()",
        "magnetometer=()",
        "microphone=()",
        "midi=()",
        "payment=()",
        "picture-in-picture=(self)",
        "usb=()",
    ]
)
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": PERMISSIONS_POLICY,
}


def frameable_headers(frame_ancestors: str) -> dict[str, str]:
    """:data:`SECURITY_HEADERS` of a page others may frame: ``frame_ancestors`` in its
    policy, and no ``X-Frame-Options`` (whose only values would refuse them)."""
    headers = dict(
        SECURITY_HEADERS, **{"Content-Security-Policy": content_security_policy(frame_ancestors)}
    )
    del headers["X-Frame-Options"]
    return headers


class SecurityHeadersMiddleware:
    """Pure ASGI middleware adding :data:`SECURITY_HEADERS` to every HTTP answer
    (:data:`AUTHORIZED_CACHE_CONTROL` to those of authorized requests), and
    ``Strict-Transport-Security`` with ``max-age=hsts_seconds`` (unless 0) to those over
    HTTPS, or to all when ``always_https``. A path one of ``frameable`` matches whole may be
    framed by ``frame_ancestors`` (:func:`frameable_headers`)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        hsts_seconds: int = 0,
        always_https: bool = False,
        frameable: tuple[re.Pattern[str], ...] = (),
        frame_ancestors: str = "*",
    ) -> None:
        self.app = app
        hsts = {"Strict-Transport-Security": f"max-age={hsts_seconds}"} if hsts_seconds else {}
        self._headers = _encoded(SECURITY_HEADERS)
        self._https_headers = self._headers + _encoded(hsts)
        self._framed = _encoded(frameable_headers(frame_ancestors))
        self._https_framed = self._framed + _encoded(hsts)
        self._frameable = frameable
        self._always_https = always_https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # type: ignore[comparison-overlap]
            await self.app(scope, receive, send)
            return
        https = self._always_https or scope["scheme"] == "https"
        # The decoded path: an encoded slash cannot make another page look like this one.
        if any(page.fullmatch(scope["path"]) for page in self._frameable):
            extra = self._https_framed if https else self._framed
        else:
            extra = self._https_headers if https else self._headers
        if any(name == b"authorization" for name, _ in scope["headers"]):
            extra = [*extra, AUTHORIZED_CACHE_CONTROL]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in extra if name not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode(), value.encode()) for name, value in headers.items()]
