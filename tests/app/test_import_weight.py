"""Every ``streamstack`` process imports only the libraries it uses.

Importing the web and database stack costs a process seconds of CPU at start, and the
suite and an operator start many processes: the command line (``--help``, ``login``,
``upload``), sandboxed media children, hashing workers, servers on embedded backends.
Each test runs the real entry in a fresh interpreter and names the heavy packages it
must not have loaded; none measures time.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from support.processes import clean_environment

#: Libraries that cost a start tens to hundreds of milliseconds of CPU each.
HEAVY = frozenset(
    {
        "litestar",
        "sqlalchemy",
        "advanced_alchemy",
        "alembic",
        "nats",
        "aiobotocore",
        "botocore",
        "av",
        "argon2",
        "zxcvbn",
        "structlog",  # with rich and pygments, which its dev renderer loads
    }
)

#: Printed by every probe: the modules the interpreter has loaded.
REPORT_LOADED = "print(json.dumps(sorted(sys.modules)))"


def heavy(modules: set[str]) -> set[str]:
    """The heavy packages among ``modules``."""
    return {name.split(".")[0] for name in modules} & HEAVY


def loaded_by(script: str, cwd: Path, **env: str) -> set[str]:
    """The modules loaded once ``script`` (run as a file, as the console script is run) has
    printed its report."""
    path = cwd / "entry.py"
    path.write_text(textwrap.dedent(script))
    result = subprocess.run(
        [sys.executable, str(path)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean_environment(**env),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_the_command_line_loads_no_server_stack(tmp_path: Path) -> None:
    # What `streamstack --help`, `login`, `logout` and `upload` load; and, since a process
    # started by the console script has every multiprocessing child run that script again,
    # what each sandboxed child and hashing worker of such a process loads first.
    script = f"""
        import contextlib, io, json, sys
        from streamstack.cli import main

        with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
            main(["--help"])
        {REPORT_LOADED}
    """
    assert heavy(loaded_by(script, tmp_path)) == set()


@pytest.mark.parametrize(
    "worker", ["streamstack.ingest.probe_worker", "streamstack.ingest.transcoding.pipeline"]
)
def test_a_sandboxed_child_loads_only_pyav(tmp_path: Path, worker: str) -> None:
    # A real child of the media sandbox, forked from a fork server preloaded as ingest's
    # prober and transcoder preload theirs, in a process started the way the console
    # script starts one (the child runs the main script again before its work).
    script = f"""
        import asyncio, json, sys
        from streamstack.cli import main


        def loaded() -> list[str]:
            return sorted(sys.modules)


        if __name__ == "__main__":
            from streamstack.ingest.sandbox import Limits, Sandbox

            sandbox = Sandbox(preload=[{worker!r}])
            limits = Limits(memory_bytes=1024**3)
            child = sandbox.call(loaded, returns=list[str], limits=limits, seconds=60)
            print(json.dumps(asyncio.run(child)))
    """
    assert heavy(loaded_by(script, tmp_path)) == {"av"}


def test_a_hashing_worker_loads_only_argon2(tmp_path: Path) -> None:
    # The module a password-hashing worker imports to run its function.
    script = f"""
        import json, sys
        import streamstack.auth.passwords
        {REPORT_LOADED}
    """
    assert heavy(loaded_by(script, tmp_path)) == {"argon2"}


def test_an_app_loads_only_the_modules_it_mounts_and_the_backends_it_uses(
    tmp_path: Path,
) -> None:
    # `streamstack serve --module streaming` on embedded backends (as in dev), up to the
    # point where uvicorn would start: no NATS or S3 client, no alembic, no PyAV; and of
    # the modules it does not mount, only their definitions (and metrics).
    script = f"""
        import json, sys
        from streamstack.app import create_app
        from streamstack.cli.commands import server_settings

        create_app(server_settings(modules=("streaming",)))
        {REPORT_LOADED}
    """
    env = {"STREAMSTACK_ENVIRONMENT": "dev", "STREAMSTACK_DATA_DIR": str(tmp_path / "data")}
    loaded = loaded_by(script, tmp_path, **env)
    assert not heavy(loaded) & {"nats", "botocore", "alembic", "av", "argon2", "zxcvbn"}
    assert "streamstack.streaming.service" in loaded  # the probe did build the app
    unmounted_stacks = {
        f"streamstack.{module}.{part}"
        for module in ("auth", "catalogue", "ingest")
        for part in ("service", "routes", "models", "repository")
    }
    assert not unmounted_stacks & loaded
