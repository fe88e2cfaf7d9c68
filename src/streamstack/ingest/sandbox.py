"""Run work on untrusted input in a confined, killable child process.

Every media worker (the probe, the transcoder) parses files a stranger uploaded with
FFmpeg, so it runs in a child that is confined before it runs a line of the work:

* **no network**: the child moves into a network namespace of its own
  (``unshare(CLONE_NEWNET)``, or with ``CLONE_NEWUSER`` where only unprivileged user
  namespaces are allowed), which holds nothing but a loopback interface that is down.
  Whether the kernel allows it is tried once, when the first :class:`Sandbox` is built;
  if it does not, a warning is logged once and children run with the network of the
  app. Where it was allowed, a child that cannot isolate itself fails instead of running.
  Beyond that, a seccomp filter refuses ``socket()`` and ``socketpair()`` (EPERM): a child
  talks only over the socket it was handed, and cannot reach even a Unix socket on disk,
  which no network namespace hides.
* **bounded**: address space (``RLIMIT_AS``), size of files written (``RLIMIT_FSIZE``,
  none by default), open files (``RLIMIT_NOFILE``, a handful), no core dumps, no new
  privileges; the parent kills it when its wall-clock time is up.
* **not outliving the app**: a child is killed (``PR_SET_PDEATHSIG``) when the fork
  server, which ends with the app, goes.
* **nothing to steal**: children are forked from a fork server started from an
  environment stripped of everything but basics (``STREAMSTACK_*`` holds the object
  store's keys, the database URL and the service secret), never from the app, and the
  child clears even that environment.

Results travel back as msgpack, never pickle: a child subverted by a hostile file must
not be able to run code in the app by what it sends.

This module is imported by the fork server and every child, so it imports only the
standard library and msgspec (structlog, ~0.15 s of CPU with what it loads, only to warn).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import dataclasses
import errno
import multiprocessing
import multiprocessing.forkserver
import os
import resource
import signal
import socket
import stat
from collections.abc import AsyncIterator, Callable, Iterable
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from streamstack.kernel.lifetime import die_with_parent

T = TypeVar("T")

#: The only environment variables the fork server (and so every child) starts with.
#: ``PYTHONPATH`` because the server imports the workers' code before any child asks: without
#: it, an app run from a release's source tree had its children run another copy of
#: StreamStack (the one installed), failing as "the probe stopped unexpectedly".
WORKER_ENVIRONMENT = frozenset(
    {b"PATH", b"HOME", b"LANG", b"LC_ALL", b"LC_CTYPE", b"TMPDIR", b"PYTHONPATH"}
)
#: The largest message a child may send back.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
#: Per architecture: its ``AUDIT_ARCH`` value, and the numbers of ``socket``, ``socketpair``.
_SOCKET_CALLS = {
    "x86_64": (0xC000003E, 41, 53),
    "aarch64": (0xC00000B7, 198, 199),
}
#: The module the fork server imports first: it ignores SIGTERM sent to the whole app.
SERVER_SIGNALS = "streamstack.ingest.sandbox_server"
#: Exit status of the start-up check when the kernel refused a network namespace.
_REFUSED = 3


@dataclasses.dataclass(frozen=True, slots=True)
class Limits:
    """What a child may use."""

    memory_bytes: int
    """Address space (``RLIMIT_AS``): allocations past it fail with MemoryError."""
    file_bytes: int = 0
    """Largest file the child may write (``RLIMIT_FSIZE``); 0 means none."""
    open_files: int = 16
    """Open file descriptors (``RLIMIT_NOFILE``), inherited ones included."""
    workdir: str = "/"
    """The child's working directory (its scratch space, if it writes)."""
    niceness: int = 0
    """How much lower than its parent's the child's CPU priority is (``nice``): long
    background work yields the cores to serving when they compete, and takes them all
    when nothing else wants them."""


class SandboxTimeout(Exception):
    """The child ran out of time and was killed."""


class SandboxStalled(Exception):
    """The child said nothing for too long (a task that reports progress stopped moving)
    and was killed."""


class SandboxCrashed(Exception):
    """The child died without answering (killed, out of memory in C, a crash)."""


class SandboxRaised(Exception):
    """The function raised in the child: its exception's class name and string arguments."""

    def __init__(self, kind: str, arguments: list[str]) -> None:
        super().__init__(kind, *arguments)
        self.kind = kind
        self.arguments = arguments


class _Returned(msgspec.Struct, tag="returned"):
    value: msgspec.Raw


class _Raised(msgspec.Struct, tag="raised"):
    kind: str
    arguments: list[str]


class _Progress(msgspec.Struct, tag="progress"):
    value: msgspec.Raw


_Message = _Returned | _Raised | _Progress
_decoder = msgspec.msgpack.Decoder(_Message)
_encoder = msgspec.msgpack.Encoder()

_isolation: bool | None = None


class Sandbox:
    """Starts confined children from a clean fork server (one per process, shared)."""

    def __init__(self, preload: Iterable[str] = ()) -> None:
        self._context = _fork_server(tuple(preload))
        self.network_isolated = _network_isolation(self._context)

    @contextlib.asynccontextmanager
    async def connected(
        self, target: Callable[..., object], *args: Any, limits: Limits
    ) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
        """Run ``target(sock, *args)`` in a confined child, ``sock`` its end of a socket
        pair; the block talks to it through the other end. The child is killed after it.

        ``target`` must be importable by name (a module-level function): the child
        unpickles it.
        """
        ours, theirs = socket.socketpair()
        process = self._context.Process(
            target=_enter,
            args=(limits, self.network_isolated, target, (theirs, *args)),
            daemon=True,
        )
        writer: asyncio.StreamWriter | None = None
        try:
            await asyncio.to_thread(process.start)
            theirs.close()
            reader, writer = await asyncio.open_connection(sock=ours)
            yield reader, writer
        except SandboxCrashed as crash:
            # How the child ended tells a crash in C (a signal) from an exit of its own.
            raise SandboxCrashed(f"{crash} ({await exit_status(process)})") from None
        finally:
            theirs.close()
            if writer is not None:
                writer.close()  # the child sees the end of its input first
            else:
                ours.close()
            await reap(process)

    async def call(
        self,
        fn: Callable[..., object],
        *args: Any,
        returns: type[T],
        limits: Limits,
        seconds: float,
        progress: tuple[type[Any], Callable[[Any], None]] | None = None,
        idle_seconds: float | None = None,
    ) -> T:
        """``fn(*args)`` in a confined child: its return value decoded as ``returns``.

        With ``progress=(type, callback)``, ``fn`` is also given ``progress=`` a function
        whose argument reaches ``callback`` here, decoded as ``type``. Raises
        :class:`SandboxRaised` when ``fn`` raised, :class:`SandboxTimeout` after
        ``seconds``, :class:`SandboxStalled` when ``fn`` said nothing (no progress, no
        answer) for ``idle_seconds``, :class:`SandboxCrashed` when the child died silently.
        """
        child = self.connected(_answer, fn, args, progress is not None, limits=limits)
        async with child as (reader, _):
            try:
                async with asyncio.timeout(seconds):
                    return await _await_answer(reader, returns, progress, idle_seconds)
            except TimeoutError:
                raise SandboxTimeout(f"no answer within {seconds:g} s") from None


async def _await_answer(
    reader: asyncio.StreamReader,
    returns: type[T],
    progress: tuple[type[Any], Callable[[Any], None]] | None,
    idle_seconds: float | None,
) -> T:
    while True:
        try:
            async with asyncio.timeout(idle_seconds):
                size = int.from_bytes(await reader.readexactly(4), "big")
                if size > MAX_MESSAGE_BYTES:
                    raise SandboxCrashed("the child sent an oversized message")
                message = _decoder.decode(await reader.readexactly(size))
        except TimeoutError:
            raise SandboxStalled(f"no word from the child for {idle_seconds:g} s") from None
        except (asyncio.IncompleteReadError, ConnectionError):
            raise SandboxCrashed("the child died without answering") from None
        except msgspec.DecodeError:
            raise SandboxCrashed("the child sent a malformed message") from None
        if isinstance(message, _Returned):
            return msgspec.msgpack.decode(message.value, type=returns)
        if isinstance(message, _Raised):
            raise SandboxRaised(message.kind, message.arguments)
        if progress is not None:
            kind, callback = progress
            callback(msgspec.msgpack.decode(message.value, type=kind))


async def exit_status(process: BaseProcess, wait_seconds: float = 1.0) -> str:
    """How a child ended, in words: ``killed by SIGSEGV``, ``exited with status 1``."""
    if process.exitcode is None:
        await asyncio.to_thread(process.join, wait_seconds)
    code = process.exitcode
    if code is None:
        return "still running"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
        return f"killed by signal {-code}"
    return f"exited with status {code}"


async def reap(process: BaseProcess) -> None:
    """Make sure a child is gone: it may be stuck in FFmpeg, so kill rather than ask."""
    if process.pid is None:
        return
    if process.exitcode is None:
        await asyncio.to_thread(process.join, 1.0)
    if process.exitcode is None:
        process.kill()
        await asyncio.to_thread(process.join, 5.0)
    with contextlib.suppress(ValueError):
        process.close()


def open_output(directory: Path, relative: str) -> int:
    """Open, read-only, a regular file a child wrote at ``relative`` under ``directory``.

    What a child wrote is as untrusted as what it said: a subverted one may have left a
    symlink (to the app's keys, say) where a result should be, so no component of the
    path may be a symlink or ``..``, and anything but a regular file (a FIFO, a device)
    is refused. Raises :class:`OSError`; the caller closes the descriptor.
    """
    *folders, name = relative.split("/")
    if any(part in ("", ".", "..") for part in relative.split("/")):
        raise OSError(errno.EINVAL, f"not a plain relative path: {relative[:80]!r}")
    parent = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for folder in folders:
            inner = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=parent)
            os.close(parent)
            parent = inner
        # O_NONBLOCK: opening a FIFO left there must not wait for a writer.
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=parent)
    finally:
        os.close(parent)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, f"not a regular file: {relative[:80]!r}")
    return fd


async def output_chunks(fd: int, chunk_bytes: int) -> AsyncIterator[bytes]:
    """The file open at ``fd`` from its start, ``chunk_bytes`` at a time (never whole)."""
    position = 0
    while data := await asyncio.to_thread(os.pread, fd, chunk_bytes, position):
        position += len(data)
        yield data


# --- the fork server and the start-up check (app side) ---------------------------------


def _fork_server(preload: tuple[str, ...]) -> ForkServerContext:
    """The fork-server context, its server started from a stripped environment.

    The first caller's ``preload`` modules are imported once by the server; modules
    named later are imported by each child that needs them.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([SERVER_SIGNALS, __name__, *preload])
    # The C-level environment is what a new process gets; libraries may have added to
    # it behind os.environ's back, so strip and restore that one.
    saved = _c_environment()
    try:
        for name in saved:
            if name not in WORKER_ENVIRONMENT:
                os.unsetenv(name)
        multiprocessing.forkserver.ensure_running()
    finally:
        for name, value in saved.items():
            os.putenv(name, value)
    return context


def _c_environment() -> dict[bytes, bytes]:
    environ = ctypes.POINTER(ctypes.c_char_p).in_dll(ctypes.CDLL(None), "environ")
    entries: dict[bytes, bytes] = {}
    index = 0
    while (entry := environ[index]) is not None:
        name, _, value = entry.partition(b"=")
        entries[name] = value
        index += 1
    return entries


def _network_isolation(context: ForkServerContext) -> bool:
    """Whether children get a network namespace of their own (tried once per process)."""
    global _isolation
    if _isolation is None:
        process = context.Process(target=_try_isolation, daemon=True)
        process.start()
        process.join(30)
        _isolation = process.exitcode == 0
        if process.exitcode is None:
            process.kill()
            process.join()
        process.close()
        if not _isolation:
            import structlog  # not at the top: see the module's docstring

            structlog.get_logger(__name__).warning(
                "sandbox.network_not_isolated",
                detail="the kernel refused a network namespace: media workers can open "
                "sockets (run with CAP_SYS_ADMIN or allow unprivileged user namespaces)",
            )
    return _isolation


# --- the child side -----------------------------------------------------------------------


def _try_isolation() -> None:
    if not _unshare_network():
        os._exit(_REFUSED)


def _unshare_network() -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWNET) == 0:
        return True
    # Without CAP_SYS_ADMIN: a user namespace of our own grants it for a network one.
    return bool(libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0)


def _enter(
    limits: Limits, isolate: bool, target: Callable[..., object], args: tuple[Any, ...]
) -> None:
    """Child entry point: confine this process, then run the target."""
    confine(limits, isolate_network=isolate)
    target(*args)


def confine(limits: Limits, *, isolate_network: bool) -> None:
    """Confine the calling process (a fresh child): see the module docstring."""
    os.environ.clear()  # the fork server's is stripped already; keep nothing anyway
    if isolate_network and not _unshare_network():
        raise PermissionError("could not leave the network namespace")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    die_with_parent()  # the fork server, which ends with the app
    _refuse_new_sockets(libc)
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
    # Past the file-size limit a write fails with EFBIG instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    # A stop signalled to the whole app is the app's to act on (see SERVER_SIGNALS).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.chdir(limits.workdir)
    if limits.niceness:
        os.nice(limits.niceness)


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_ushort),
        ("jt", ctypes.c_ubyte),
        ("jf", ctypes.c_ubyte),
        ("k", ctypes.c_uint),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def _refuse_new_sockets(libc: ctypes.CDLL) -> None:
    """Install a seccomp filter: ``socket``/``socketpair`` fail with EPERM (best effort).

    Calls of another ABI (i386 ``int 0x80``, x32) are refused whole, so the filter cannot
    be stepped around. On an architecture not listed, nothing is installed.
    """
    calls = _SOCKET_CALLS.get(os.uname().machine)
    if calls is None:
        return
    arch, socket_nr, socketpair_nr = calls
    load, jump_eq, jump_ge, ret = 0x20, 0x15, 0x35, 0x06
    allow, refuse = 0x7FFF0000, 0x00050000 | errno.EPERM
    program = [
        (load, 0, 0, 4),  # seccomp_data.arch
        (jump_eq, 0, 5, arch),
        (load, 0, 0, 0),  # seccomp_data.nr
        (jump_ge, 3, 0, 0x40000000),  # the x32 ABI's numbers
        (jump_eq, 2, 0, socket_nr),
        (jump_eq, 1, 0, socketpair_nr),
        (ret, 0, 0, allow),
        (ret, 0, 0, refuse),
    ]
    filters = (_SockFilter * len(program))(*(_SockFilter(*line) for line in program))
    fprog = _SockFprog(len(program), filters)
    libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0)


def _answer(
    sock: socket.socket, fn: Callable[..., object], args: tuple[Any, ...], with_progress: bool
) -> None:
    def send(message: _Message) -> None:
        payload = _encoder.encode(message)
        sock.sendall(len(payload).to_bytes(4, "big") + payload)

    def report(value: object) -> None:
        send(_Progress(msgspec.Raw(_encoder.encode(value))))

    try:
        result = fn(*args, progress=report) if with_progress else fn(*args)
        answer: _Message = _Returned(msgspec.Raw(_encoder.encode(result)))
    except BaseException as exc:
        answer = _Raised(exc.__class__.__name__, [str(arg)[:2000] for arg in exc.args])
    with contextlib.suppress(OSError):
        send(answer)
    sock.close()
