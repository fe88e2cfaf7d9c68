"""Render compose/nginx.conf: the one nginx template of compose and of the system test.

The template's placeholders are ``${UPPER_CASE}`` names. Compose fills them with envsubst
(``compose/nginx-entrypoint.sh``); the tests and anyone running the services without Docker
use :func:`render` here (standard library only)::

    python compose/nginx_template.py VALUES.env > nginx.conf

where ``VALUES.env`` holds ``NAME=value`` lines for every placeholder. nginx's own
variables (``$uri``) have no braces and are left alone.
"""

from __future__ import annotations

import re
import string
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

TEMPLATE_PATH = Path(__file__).with_name("nginx.conf")
MODULES = ("auth", "catalogue", "streaming", "ingest")

#: Multipart framing (boundary lines, part headers, the other form fields) an upload carries
#: on top of the file itself, so that a file of exactly STREAMSTACK_MAX_UPLOAD_BYTES fits.
UPLOAD_FRAMING_BYTES = 1024 * 1024

#: Every replica's ``server`` options (compose's *_SERVERS lines too). nginx never marks a
#: replica down: a connection it refuses (a replica stopping) costs that request a retry on
#: another replica at once, and one that is back takes requests from the first. With
#: max_fails=1 fail_timeout=10s one refused connect shut a restarted replica out for 10 s,
#: so stopping the next replica of a rolling restart left nginx none to send requests to.
SERVER_OPTIONS = "max_fails=0"


# Only ${UPPER_CASE} is a placeholder: no "$$" escape (it stays as it is) and a bare $name or
# a lower-case ${name} is always nginx's own variable.
_PLACEHOLDER = r"""
    \$(?:
      (?P<escaped>(?!))                 |
      (?P<named>(?!))                   |
      \{(?P<braced>[A-Z][A-Z0-9_]*)\}   |
      (?P<invalid>(?!))
    )
"""


class NginxTemplate(string.Template):
    """``${NAME}`` with an upper-case name only: ``$uri`` and ``${lower}`` stay nginx's."""

    flags = re.RegexFlag(0)  # Template ignores case by default; ${lower} must not match
    pattern = _PLACEHOLDER  # type: ignore[assignment]  # Template compiles it


def placeholders(text: str | None = None) -> set[str]:
    """The placeholder names the template uses."""
    source = TEMPLATE_PATH.read_text() if text is None else text
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", source))


def render(values: Mapping[str, str], text: str | None = None) -> str:
    """The template with every placeholder filled; KeyError names a missing or unknown one."""
    source = TEMPLATE_PATH.read_text() if text is None else text
    wanted = placeholders(source)
    missing = sorted(wanted - values.keys())
    unknown = sorted(values.keys() - wanted)
    if missing or unknown:
        raise KeyError(f"nginx template: missing {missing}, unknown {unknown}")
    return NginxTemplate(source).substitute(values)


def upstream_servers(addresses: Iterable[str], options: str = SERVER_OPTIONS) -> str:
    """``server`` lines for an upstream block, one per ``host:port`` replica."""
    lines = [" ".join(("server", address, options)).rstrip() + ";" for address in addresses]
    if not lines:
        raise ValueError("an upstream needs at least one server")
    return "\n        ".join(lines)


def upload_body_limit(max_upload_bytes: int) -> int:
    """``client_max_body_size`` for uploads: the ingest limit plus multipart framing."""
    return max_upload_bytes + UPLOAD_FRAMING_BYTES


def local_values(
    directory: Path,
    *,
    public_listen: str,
    internal_listen: str,
    servers: Mapping[str, Sequence[str]],
    web_root: Path,
    objects_dir: Path,
    s3_endpoint: str,
    max_upload_bytes: int,
    max_request_body_bytes: int,
    mime_types: Path = Path("/etc/nginx/mime.types"),
    embed_ancestors: str = "*",
) -> dict[str, str]:
    """Values for nginx as an ordinary process (no Docker): files under ``directory``.

    ``servers`` maps each module (auth, catalogue, streaming, ingest) to its replicas'
    ``host:port`` addresses.
    """
    (directory / "temp").mkdir(parents=True, exist_ok=True)
    return {
        "WORKER_PROCESSES": "1",
        "PID_FILE": str(directory / "nginx.pid"),
        "ERROR_LOG": str(directory / "error.log"),
        "ACCESS_LOG": str(directory / "access.log"),
        "TEMP_DIR": str(directory / "temp"),
        "MIME_TYPES": str(mime_types),
        "RESOLVER": "# static upstream addresses: no resolver",
        "PUBLIC_LISTEN": public_listen,
        "INTERNAL_LISTEN": internal_listen,
        **{f"{module.upper()}_SERVERS": upstream_servers(servers[module]) for module in MODULES},
        "WEB_ROOT": str(web_root),
        "STREAM_OBJECTS_DIR": str(objects_dir),
        "S3_ENDPOINT": s3_endpoint.rstrip("/"),
        "MAX_UPLOAD_BODY_SIZE": str(upload_body_limit(max_upload_bytes)),
        "MAX_REQUEST_BODY_SIZE": str(max_request_body_bytes),
        "EMBED_ANCESTORS": embed_ancestors,
    }


def read_values(path: Path) -> dict[str, str]:
    """``NAME=value`` lines (blank lines and ``#`` comments skipped)."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            name, _, value = stripped.partition("=")
            values[name.strip()] = value.strip()
    return values


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python compose/nginx_template.py VALUES.env > nginx.conf")
    sys.stdout.write(render(read_values(Path(sys.argv[1]))))
