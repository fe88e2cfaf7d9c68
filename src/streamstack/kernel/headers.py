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
    """Pure ASGI middleware adding :data:`SECURITY_HEADERS` to every HTTP answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._headers = _encoded(SECURITY_HEADERS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # type: ignore[comparison-overlap]
            await self.app(scope, receive, send)
            return
        extra = self._headers

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
