"""README's settings table is generated from Settings and must stay in step with it."""

from __future__ import annotations

import dataclasses

import settings_table
from deploy_paths import ROOT

from streamstack.settings import PREFIX, Settings


def test_readme_table_matches_settings() -> None:
    readme = (ROOT / "README.md").read_text()
    assert settings_table.readme_table(readme) == settings_table.table(), (
        "README.md's settings table is stale: run `python compose/settings_table.py --write`"
    )


def test_every_setting_has_a_row_with_its_default() -> None:
    table = settings_table.table()
    rows = table.splitlines()[2:]
    assert len(rows) == len(dataclasses.fields(Settings))
    for field, row in zip(dataclasses.fields(Settings), rows, strict=True):
        assert row.startswith(f"| `{PREFIX}{field.name.upper()}` |")
    assert "| `STREAMSTACK_MAX_UPLOAD_BYTES` | `10737418240` |" in table
    assert "| `STREAMSTACK_REGISTRATION_MODE` | `invite` |" in table
    assert "| `STREAMSTACK_JWT_PRIVATE_KEY_PATH` | (empty) |" in table


def test_the_table_lives_in_the_production_section_at_the_end() -> None:
    readme = (ROOT / "README.md").read_text()
    production = readme.index("\n## Production\n")
    assert readme.index(settings_table.BEGIN) > production
    assert "\n## " not in readme[production + 1 :]  # Production is the last section
