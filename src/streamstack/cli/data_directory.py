"""The data directory a command starts on: made (or refused in one line) and held for the
process's life, so a second StreamStack on it is refused before it changes anything.

The hold is an ``flock`` on :data:`LOCK_FILE`: the system releases it when the process
ends, however it ends, so a crash leaves no stale lock. ``dev`` and ``migrate`` hold it
alone; ``serve`` processes on one data directory share it (several may serve its modules),
and keep ``dev`` and ``migrate`` out meanwhile.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from streamstack.kernel.storage.private_files import FILE_MODE, private_directory
from streamstack.settings import PREFIX, Settings, SettingsError

#: The file in the data directory whose lock says a StreamStack runs on it (and its pid).
LOCK_FILE = "lock"


def data_directory_setting(flag: Path | None) -> str:
    """How the operator named the data directory: the variable when it is set and the flag
    is not given, else the flag (also the way to name one when neither is)."""
    if flag is None and f"{PREFIX}DATA_DIR" in os.environ:
        return f"{PREFIX}DATA_DIR"
    return "--data-dir"


def make_data_directory(path: Path, named: str) -> None:
    """Make ``path`` (0700) unless it is there; one that is not a directory, or cannot be
    made, is refused in one line naming ``named`` (the setting it came from)."""
    refuse_non_directory(path, named)
    try:
        private_directory(path, owned=True)
    except OSError as exc:
        raise SettingsError(f"{named}: {path} cannot be created: {exc.strerror or exc}") from None


def refuse_non_directory(path: Path, named: str) -> None:
    """Refuse in one line a data directory ``path`` that is a file (or any non-directory)."""
    if path.exists() and not path.is_dir():
        raise SettingsError(f"{named}: {path} is not a directory")


@contextlib.contextmanager
def held_data_directory(path: Path, *, shared: bool = False) -> Iterator[None]:
    """Hold the existing data directory ``path`` for the block (alone, unless ``shared``);
    refuse in one line when another process holds it."""
    fd = os.open(path / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    try:
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SettingsError(_in_use(path, fd)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def held_for_its_database(
    settings: Settings, *, shared: bool
) -> contextlib.AbstractContextManager[None]:
    """:func:`held_data_directory` for a command on the data directory's database (``serve``
    shared, ``migrate`` alone); nothing held when the database is elsewhere or there is no
    data directory (a process on none holds nothing)."""
    if settings.database_url or not settings.data_dir.is_dir():
        return contextlib.nullcontext()
    return held_data_directory(settings.data_dir, shared=shared)


def _in_use(path: Path, fd: int) -> str:
    """The refusal naming the process that holds ``path`` (as it wrote its pid)."""
    pid = os.pread(fd, 32, 0).decode(errors="replace").strip()
    holder = f" (pid {pid})" if pid.isdigit() else ""
    return (
        f"another StreamStack is running on the data directory {path.resolve()}{holder}: "
        "stop it first"
    )


def refuse_taken_port(host: str, port: int) -> None:
    """Refuse in one line a ``host``/``port`` this process could not listen on, before it
    changes anything (uvicorn would find out only after the start-up's migrations)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As uvicorn binds: a port whose old connections linger (TIME_WAIT) is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise SettingsError(
                    f"port {port} is in use: stop what listens there, or choose another with --port"
                ) from None
            raise SettingsError(
                f"{PREFIX}HOST: cannot listen on {host} port {port} ({exc.strerror or exc})"
            ) from None
