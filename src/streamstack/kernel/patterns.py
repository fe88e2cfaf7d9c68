"""Regular expressions that must match a whole string, as msgspec and the OpenAPI use them."""

from __future__ import annotations


def whole(body: str) -> str:
    """``body`` anchored at both ends of the string: ``^body$(?!\\n)``.

    msgspec (and Litestar) test a pattern with Python's ``re.search``, whose ``$`` also
    matches before a final newline, so ``"en\\n"`` would pass a bare ``^…$``; the lookahead
    refuses it. It means nothing in JavaScript (whose ``$`` never does that), where the SPA
    gets these patterns through its generated limits.
    """
    return rf"^{body}$(?!\n)"
