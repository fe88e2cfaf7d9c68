"""``streamstack dev``'s settings: its own defaults (one worker in the process, the public URL
of this server) where the environment says nothing, the environment's word where it does."""

from __future__ import annotations

import argparse
from pathlib import Path

from streamstack.cli.commands import dev_settings


def dev_args(tmp_path: Path) -> argparse.Namespace:
    return argparse.Namespace(host="127.0.0.1", port=8123, data_dir=tmp_path / "data")


def test_dev_runs_a_worker_in_its_process_unless_told_not_to(tmp_path: Path) -> None:
    assert dev_settings(dev_args(tmp_path), {}).worker_in_process is True
    # The README's way to see what an admin sees when no worker runs.
    told = {"STREAMSTACK_WORKER_IN_PROCESS": "false"}
    assert dev_settings(dev_args(tmp_path), told).worker_in_process is False


def test_dev_links_open_this_server_unless_a_public_url_is_given(tmp_path: Path) -> None:
    assert dev_settings(dev_args(tmp_path), {}).public_url == "http://localhost:8123"
    given = {"STREAMSTACK_PUBLIC_URL": "https://video.example.org"}
    assert dev_settings(dev_args(tmp_path), given).public_url == "https://video.example.org"
