"""Modules in separate ``streamstack serve`` processes, talking to each other over HTTP.

:func:`module_processes` starts one process per group of modules, all configured from one
:class:`Settings` (same backends, keys and service secret), each told where the others
are, and yields their base URLs by module name.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from streamstack.cli import apply_migrations
from streamstack.settings import PREFIX, Settings
from support.apps import TEST_DATABASE_TIMEOUT_SECONDS, free_port

#: Settings every process of a deployment must share (the rest keep their defaults).
_SHARED = (
    "environment",
    "data_dir",
    "database_url",
    "nats_url",
    "s3_endpoint_url",
    "s3_access_key_id",
    "s3_secret_access_key",
    "s3_region",
    "media_bucket",
    "thumbnails_bucket",
    "internal_secret",
    "jwt_private_key_path",
    "jwt_public_key_path",
    "sealing_keys_path",
    "log_level",
    "registration_mode",
    "guest_access",
)


def clean_environment(**variables: str) -> dict[str, str]:
    """This process's environment without any STREAMSTACK_* variable, plus the tests'
    database timeout and ``variables``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(PREFIX)}
    timeout = {f"{PREFIX}DATABASE_TIMEOUT_SECONDS": str(TEST_DATABASE_TIMEOUT_SECONDS)}
    return {**base, **timeout, **variables}


def streamstack_command(*args: str) -> list[str]:
    """``streamstack ARGS`` run by this interpreter (the project's virtual environment)."""
    return [sys.executable, "-m", "streamstack", *args]


def settings_env(settings: Settings) -> dict[str, str]:
    """``STREAMSTACK_*`` variables reproducing the shared part of ``settings``."""
    env: dict[str, str] = {}
    for name in _SHARED:
        value = getattr(settings, name)
        if value not in (None, ""):
            env[PREFIX + name.upper()] = str(value)
    return env


class ServeProcess:
    """One ``python -m streamstack serve`` process serving ``modules``."""

    def __init__(self, modules: Sequence[str], port: int, env: dict[str, str], log: Path) -> None:
        self.modules = tuple(modules)
        self.url = f"http://127.0.0.1:{port}"
        args = streamstack_command("serve", "--port", str(port))
        for module in modules:
            args += ["--module", module]
        self._log = log.open("w")
        self.process = subprocess.Popen(args, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def log_tail(self) -> str:
        """The end of the process's output."""
        self._log.flush()
        return Path(self._log.name).read_text(errors="replace")[-3000:]

    async def wait_ready(self, seconds: float = 120) -> None:
        """Wait for ``/ready`` to answer 200, or raise with the log's tail."""
        deadline = time.monotonic() + seconds
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"serve {self.modules} exited: {self.log_tail()}")
                try:
                    if (await client.get("/ready")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError(f"serve {self.modules} not ready: {self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 15 s."""
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


@dataclasses.dataclass(frozen=True)
class ProcessDeployment:
    """Where each module answers."""

    urls: dict[str, str]
    processes: list[ServeProcess]


@asynccontextmanager
async def module_processes(
    settings: Settings, groups: Sequence[Sequence[str]]
) -> AsyncIterator[ProcessDeployment]:
    """Migrate, then serve each group of modules in its own process; yield module -> URL."""
    await apply_migrations(settings, [m for group in groups for m in group])
    ports = [free_port() for _ in groups]
    urls = {
        m: f"http://127.0.0.1:{port}"
        for group, port in zip(groups, ports, strict=True)
        for m in group
    }
    env = clean_environment(**settings_env(settings))
    env.update({f"{PREFIX}{module.upper()}_URL": url for module, url in urls.items()})
    processes: list[ServeProcess] = []
    try:
        for group, port in zip(groups, ports, strict=True):
            log = settings.data_dir / f"serve-{'-'.join(group)}.log"
            processes.append(ServeProcess(group, port, env, log))
        await asyncio.gather(*(p.wait_ready() for p in processes))
        yield ProcessDeployment(urls, processes)
    finally:
        # All at once: each graceful stop takes a second or more, and none waits for another.
        await asyncio.gather(*(asyncio.to_thread(process.stop) for process in processes))
