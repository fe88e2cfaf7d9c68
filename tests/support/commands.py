"""The one way tests run a ``streamstack`` client command: in a subprocess, as its user
would, with folders of its own for what it keeps (resume state, the sign-in)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any


class CommandLine:
    """Runs ``streamstack NAME ARGS --token TOKEN`` with private cache and config folders
    below ``folder``; standard input is ``stdin`` (default: nothing, as under a pipe)."""

    def __init__(self, name: str, folder: Path, token: str) -> None:
        self.name, self.folder, self.token = name, folder, token
        self.cache = folder / "cache"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("STREAMSTACK_")},
            "XDG_CACHE_HOME": str(self.cache),
            # Its own (empty) sign-in store: the tests never see the user's real one.
            "XDG_CONFIG_HOME": str(folder / "config"),
        }

    async def __call__(
        self, *args: str, token: str | None = None, stdin: Any = asyncio.subprocess.DEVNULL
    ) -> tuple[int, str, str]:
        """Exit code, standard output and standard error; ``token=""`` passes none."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "streamstack",
            self.name,
            *args,
            *(["--token", token if token is not None else self.token] if token != "" else []),
            stdin=stdin,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self.env,
        )
        out, err = await process.communicate()
        assert process.returncode is not None
        assert b"Traceback" not in err, err.decode()
        return process.returncode, out.decode(), err.decode()
