"""Write the StreamStack app's own OpenAPI document as JSON (for the SPA's generated types).

Builds the app in-process on the embedded backends in a throw-away data directory (nothing
is started: building the app is enough for Litestar to describe every route) and writes
``app.openapi_schema.to_schema()`` with sorted keys, so the file only changes when the API
does. Usage: ``python dump-openapi.py OUT.json`` (``npm run gen:api`` calls it).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path


def openapi_document() -> dict[str, object]:
    """The document the app serves at ``/api/docs/openapi.json``, built without serving."""
    from streamstack.app import create_app
    from streamstack.settings import Settings

    with tempfile.TemporaryDirectory(prefix="streamstack-openapi-") as data_dir:
        # Through the environment variables, the settings' stable public names.
        settings = Settings.from_env(
            {
                "STREAMSTACK_ENVIRONMENT": "dev",
                "STREAMSTACK_DATA_DIR": data_dir,
                "STREAMSTACK_INTERNAL_SECRET": "openapi-dump-only-not-a-secret",
                "STREAMSTACK_LOG_LEVEL": "WARNING",
            }
        )
        app = create_app(settings)
        document: dict[str, object] = app.openapi_schema.to_schema()
    return document


def main(argv: list[str]) -> int:
    """Write the document to ``argv[1]``."""
    if len(argv) != 2:
        print("usage: dump-openapi.py OUT.json", file=sys.stderr)
        return 2
    out = Path(argv[1])
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(openapi_document(), indent=2, sort_keys=True, ensure_ascii=False)
    out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
