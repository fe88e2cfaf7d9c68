"""Where the deployment files are; importing this also makes compose/'s scripts importable."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_DIR = ROOT / "compose"
# compose/nginx_template.py and compose/settings_table.py are scripts, not a package.
if str(COMPOSE_DIR) not in sys.path:
    sys.path.insert(0, str(COMPOSE_DIR))
