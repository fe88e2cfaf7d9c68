"""The one way tests run a ``streamstack`` client command: in a subprocess, as its user
would, with folders of its own for what it keeps (resume state, the sign-in)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path


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
        self,
        *args: str,
        token: str | None = None,
        stdin: str | int = asyncio.subprocess.DEVNULL,
        cwd: Path | None = None,
    ) -> tuple[int, str, str]:
        """Exit code, standard output and standard error. ``token``: this call's (``""``
        passes none); ``stdin``: text typed in, or a file descriptor (a terminal's, say);
        ``cwd``: the folder it runs in (default: the tests')."""
        chosen = self.token if token is None else token
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "streamstack",
            self.name,
            *args,
            *(["--token", chosen] if chosen else []),
            stdin=asyncio.subprocess.PIPE if isinstance(stdin, str) else stdin,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self.env,
            # No controlling terminal: prompts read standard input, as under a pipe or cron.
            start_new_session=True,
            cwd=cwd,
        )
        typed = stdin.encode() if isinstance(stdin, str) else None
        out, err = await process.communicate(typed)
        assert process.returncode is not None
        assert b"Traceback" not in err, err.decode()
        return process.returncode, out.decode(), err.decode()
