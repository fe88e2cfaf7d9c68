"""Security headers on every answer the app sends (nginx sends the same in production).

* ``Content-Security-Policy``: everything from our own origin only; ``blob:`` for media and
  workers (an HLS player feeds ``<video>`` from MediaSource blobs, in a worker), ``data:``
  images; no plugins, no ``<base>`` tricks, forms post to us only, and no page may frame
  us (``frame-ancestors 'none'``, with ``X-Frame-Options: DENY`` for old browsers).
* ``Referrer-Policy: strict-origin-when-cross-origin``: other sites see our origin at most,
  never a path (paths can carry stream tokens).
* ``X-Content-Type-Options: nosniff``: a file is run only as the type we say it is.
* ``Permissions-Policy``: no camera, microphone, location, payment, USB or sensors; the
  player may go full screen and picture-in-picture on our own origin.
* ``Strict-Transport-Security`` on answers to HTTPS requests (as uvicorn sees them: directly,
  or by a trusted proxy's ``X-Forwarded-Proto``), or on every answer when the deployment
  says it is HTTPS (``STREAMSTACK_SECURE_COOKIES``): once a browser has reached us over
  HTTPS it never again sends a cookie or a token in clear. Browsers ignore the header over
  HTTP, and it names no subdomains, which the operator may serve otherwise.

The API documentation (``/api/docs``) needs no exception: its viewer's scripts and styles
are files the app serves itself (``kernel.apidocs``). A handler that sets one of these
headers itself keeps its own value.
"""

from __future__ import annotations

from litestar.types import ASGIApp, Message, Receive, Scope, Send

#: The policy of every answer but the documentation viewers.
CONTENT_SECURITY_POLICY = "; ".join(
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
        "frame-ancestors 'none'",
    ]
)
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


class SecurityHeadersMiddleware:
    """Pure ASGI middleware adding :data:`SECURITY_HEADERS` to every HTTP answer, and
    ``Strict-Transport-Security`` with ``max-age=hsts_seconds`` (unless 0) to those over
    HTTPS, or to all when ``always_https``."""

    def __init__(self, app: ASGIApp, *, hsts_seconds: int = 0, always_https: bool = False) -> None:
        self.app = app
        self._headers = _encoded(SECURITY_HEADERS)
        hsts = {"Strict-Transport-Security": f"max-age={hsts_seconds}"} if hsts_seconds else {}
        self._https_headers = self._headers + _encoded(hsts)
        self._always_https = always_https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # type: ignore[comparison-overlap]
            await self.app(scope, receive, send)
            return
        https = self._always_https or scope["scheme"] == "https"
        extra = self._https_headers if https else self._headers

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
