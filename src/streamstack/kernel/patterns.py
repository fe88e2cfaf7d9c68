"""Regular expressions that must match a whole string, as msgspec and the OpenAPI use them,
and what each means in words for the error a client gets."""

from __future__ import annotations

#: A pattern's meaning, by pattern: what a refusal says instead of the expression.
_MEANINGS: dict[str, str] = {}


def whole(body: str, meaning: str | None = None) -> str:
    """``body`` anchored at both ends of the string: ``^body$(?!\\n)``; with ``meaning``,
    a refusal by it says that instead of the expression (:func:`in_words`).

    msgspec (and Litestar) test a pattern with Python's ``re.search``, whose ``$`` also
    matches before a final newline, so ``"en\\n"`` would pass a bare ``^…$``; the lookahead
    refuses it. It means nothing in JavaScript (whose ``$`` never does that), where the SPA
    gets these patterns through its generated limits.
    """
    pattern = rf"^{body}$(?!\n)"
    if meaning is not None:
        _MEANINGS[pattern] = meaning
    return pattern


def in_words(message: str) -> str:
    """A validation message with the patterns it names said in words: "Expected `str`
    matching regex '^[^,\\x00-…' …" becomes "Expected a tag: one line without commas …"
    (msgspec quotes the pattern as Python's ``repr`` does)."""
    for pattern, meaning in _MEANINGS.items():
        quoted = f"`str` matching regex {pattern!r}"
        if quoted in message:
            return message.replace(quoted, meaning)
    return message
