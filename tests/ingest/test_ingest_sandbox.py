"""The media-worker sandbox (issue 13.16): no network, bounded, nothing inherited, and
what a worker wrote read without following its links.

The probe's own :class:`~streamstack.ingest.sandbox.Sandbox` runs the functions, with the
limits its workers get, so what holds here holds inside the probe worker. The functions
are standard-library ones, or in ``support.stalling``: a child unpickles its function by
name.
"""

from __future__ import annotations

import errno
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from streamstack.ingest.outputs import ItemOutputs
from streamstack.ingest.probe import WORKER_OPEN_FILES, MediaProber
from streamstack.ingest.sandbox import (
    Limits,
    SandboxCrashed,
    SandboxRaised,
    SandboxStalled,
    SandboxTimeout,
    confine,
    open_output,
)
from streamstack.kernel.lifetime import death_signal
from streamstack.kernel.storage import ObjectNotFound
from streamstack.kernel.storage.local import LocalObjectStore
from support.stalling import moves_then_returns, moves_then_stalls, stopped_by_all_then_returns

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def prober() -> MediaProber:
    return MediaProber(timeout_seconds=10, memory_bytes=512 * MIB, concurrency=2)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A listening loopback port that the test process itself can reach."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
        server.accept()[0].close()
        yield server


async def test_the_worker_cannot_connect_to_a_listening_loopback_port(
    prober: MediaProber, listener: socket.socket, tmp_path: Path
) -> None:
    with pytest.raises(SandboxRaised) as raised:
        # A connected socket could not be sent back: success would raise TypeError.
        await prober.sandbox.call(
            socket.create_connection,
            listener.getsockname(),
            2.0,
            returns=object,
            limits=prober.limits(tmp_path),
            seconds=30,
        )

    # The seccomp filter refuses the socket itself (EPERM); were it missing, the network
    # namespace would refuse the connection (ENETUNREACH).
    assert raised.value.kind in ("PermissionError", "OSError"), raised.value
    listener.settimeout(0.2)
    with pytest.raises(TimeoutError):
        listener.accept()  # nothing arrived


async def test_the_worker_lives_in_a_network_namespace_of_its_own(
    prober: MediaProber, tmp_path: Path
) -> None:
    assert prober.sandbox.network_isolated, "this kernel refused a network namespace"

    inside = await prober.sandbox.call(
        os.readlink, "/proc/self/ns/net", returns=str, limits=prober.limits(tmp_path), seconds=30
    )

    assert inside != os.readlink("/proc/self/ns/net")


async def test_the_worker_has_few_files_no_environment_and_its_scratch_dir(
    prober: MediaProber, tmp_path: Path
) -> None:
    os.environ["STREAMSTACK_SANDBOX_CANARY"] = "secret"
    try:
        limits = prober.limits(tmp_path)
        files = await prober.sandbox.call(
            resource.getrlimit, resource.RLIMIT_NOFILE, returns=list[int], limits=limits, seconds=30
        )
        environment = [
            await prober.sandbox.call(
                os.getenv, name, returns=str | None, limits=limits, seconds=30
            )
            for name in ("STREAMSTACK_SANDBOX_CANARY", "PATH")
        ]
        workdir = await prober.sandbox.call(os.getcwd, returns=str, limits=limits, seconds=30)
    finally:
        del os.environ["STREAMSTACK_SANDBOX_CANARY"]
    assert files == [WORKER_OPEN_FILES, WORKER_OPEN_FILES]
    assert environment == [None, None]
    assert Path(workdir) == tmp_path.resolve()


async def test_memory_and_output_are_bounded(prober: MediaProber, tmp_path: Path) -> None:
    with pytest.raises(SandboxRaised) as raised:
        await prober.sandbox.call(
            bytearray, 600 * MIB, returns=bytes, limits=prober.limits(tmp_path), seconds=30
        )
    assert raised.value.kind == "MemoryError"
    with pytest.raises(SandboxRaised) as raised:
        # No output allowed: writing a byte fails (EFBIG) rather than filling the disk.
        await prober.sandbox.call(
            Path.write_bytes,
            tmp_path / "out",
            b"x",
            returns=int,
            limits=prober.limits(tmp_path),
            seconds=30,
        )
    assert raised.value.kind == "OSError"
    assert (
        await prober.sandbox.call(
            Path.write_bytes,
            tmp_path / "out",
            b"xyz",
            returns=int,
            limits=prober.limits(tmp_path, file_bytes=1000),
            seconds=30,
        )
        == 3
    )


async def test_a_worker_out_of_time_is_killed(prober: MediaProber, tmp_path: Path) -> None:
    with pytest.raises(SandboxTimeout):
        await prober.sandbox.call(
            time.sleep, 600, returns=None, limits=prober.limits(tmp_path), seconds=0.5
        )


async def test_a_worker_that_stops_reporting_progress_is_killed(
    prober: MediaProber, tmp_path: Path
) -> None:
    seen: list[int] = []

    async def run(fn: Callable[..., object], moves: int, **limits: float | None) -> object:
        return await prober.sandbox.call(
            fn,
            moves,
            returns=int | None,
            limits=prober.limits(tmp_path),
            progress=(int, seen.append),
            **{"seconds": 30, "idle_seconds": 1.0, **limits},
        )

    with pytest.raises(SandboxStalled):
        await run(moves_then_stalls, 3)
    assert seen == [0, 1, 2]
    # Moving all along, it may take far longer than the stall limit.
    assert await run(moves_then_returns, 20) == 20
    # Without a stall limit, the whole call's own limit still holds.
    with pytest.raises(SandboxTimeout):
        await run(moves_then_stalls, 1, seconds=1.0, idle_seconds=None)


async def test_a_worker_that_dies_says_how(prober: MediaProber, tmp_path: Path) -> None:
    """A crash in C (a signal) is told from an exit of the child's own."""
    limits = prober.limits(tmp_path)
    with pytest.raises(SandboxCrashed, match=r"died without answering \(killed by SIGABRT\)"):
        await prober.sandbox.call(os.abort, returns=None, limits=limits, seconds=30)
    with pytest.raises(SandboxCrashed, match=r"\(exited with status 7\)"):
        await prober.sandbox.call(os._exit, 7, returns=None, limits=limits, seconds=30)


async def test_a_stop_signalled_to_the_whole_app_leaves_the_work_to_the_app(
    prober: MediaProber, tmp_path: Path
) -> None:
    """systemd's stop (SIGTERM to every process) or a terminal's Ctrl-C (SIGINT to the
    group) killed a transcoder before the app handed its job back, spending an attempt:
    the child and its fork server go on; the app ends them (its cancel kills the child)."""
    limits = prober.limits(tmp_path)
    server = await prober.sandbox.call(
        stopped_by_all_then_returns, returns=int, limits=limits, seconds=30
    )
    os.kill(server, 0)  # still there: raises ProcessLookupError if the signal ended it
    # The sandbox still runs work, and still ends what outlives its time.
    assert await prober.sandbox.call(os.getpid, returns=int, limits=limits, seconds=30) > 0
    with pytest.raises(SandboxTimeout):
        await prober.sandbox.call(time.sleep, 600, returns=None, limits=limits, seconds=0.5)


def test_a_confined_child_is_killed_with_the_process_that_forked_it(tmp_path: Path) -> None:
    # The fork server ends with the app; a child then must not run on, orphaned.
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: only confine, ask the kernel, answer, exit
        try:
            confine(Limits(memory_bytes=256 * MIB, workdir=str(tmp_path)), isolate_network=False)
            os.write(write, str(death_signal()).encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 16) == str(int(signal.SIGKILL)).encode()
    os.close(read)


@pytest.mark.parametrize("family", [socket.AF_UNIX, socket.AF_INET, socket.AF_INET6])
async def test_the_worker_cannot_open_a_socket_at_all(
    prober: MediaProber, tmp_path: Path, family: socket.AddressFamily
) -> None:
    """Not even a Unix socket on disk, which a network namespace does not hide."""
    with pytest.raises(SandboxRaised) as raised:
        await prober.sandbox.call(
            socket.socket, family, returns=object, limits=prober.limits(tmp_path), seconds=30
        )
    assert raised.value.kind == "PermissionError", raised.value


def test_what_a_worker_wrote_is_read_following_no_symlink(tmp_path: Path) -> None:
    """A subverted worker may leave links to the app's secrets where its results belong."""
    secret = tmp_path / "secret.pem"
    secret.write_bytes(b"private key")
    out = tmp_path / "out"
    (out / "hls").mkdir(parents=True)
    (out / "hls" / "seg_00001.m4s").symlink_to(secret)
    (out / "linked").symlink_to(tmp_path, target_is_directory=True)
    os.mkfifo(out / "fifo.m4s")
    (out / "hls" / "real.m4s").write_bytes(b"segment")

    refused = {}
    for name in ("hls/seg_00001.m4s", "linked/secret.pem", "fifo.m4s", "../secret.pem", "hls"):
        try:
            os.close(open_output(out, name))
        except OSError as exc:
            refused[name] = exc.errno
    assert refused == {
        "hls/seg_00001.m4s": errno.ELOOP,
        "linked/secret.pem": errno.ENOTDIR,  # O_DIRECTORY | O_NOFOLLOW on a link
        "fifo.m4s": errno.EINVAL,
        "../secret.pem": errno.EINVAL,
        "hls": errno.EINVAL,
    }
    fd = open_output(out, "hls/real.m4s")
    try:
        assert os.read(fd, 100) == b"segment"
    finally:
        os.close(fd)


async def test_a_package_holding_a_symlink_is_not_uploaded(tmp_path: Path) -> None:
    (tmp_path / "secret.pem").write_bytes(b"private key")
    out = tmp_path / "out"
    (out / "hls").mkdir(parents=True)
    (out / "hls" / "master.m3u8").symlink_to(tmp_path / "secret.pem")
    media = LocalObjectStore(tmp_path / "objects", "media")
    media_id = "0b5c6a34-7c34-4b8e-8b53-3f2a3f0f9b10"

    with pytest.raises(OSError, match="symbolic link"):
        await ItemOutputs(media, media_id).publish(out, ["hls/master.m3u8"])

    with pytest.raises(ObjectNotFound):
        await media.head(f"{media_id}/hls/master.m3u8")


MARKER = """
import os
import subprocess
import sys

IMPORTED_BY = os.getpid()


def imported_before_the_child() -> bool:
    return IMPORTED_BY != os.getpid()
"""

SANDBOX_WITH_MARKER = """
import asyncio
from streamstack.ingest.sandbox import Limits, Sandbox
import marker

sandbox = Sandbox(preload=["marker"])
call = sandbox.call(
    marker.imported_before_the_child, returns=bool, limits=Limits(256 << 20), seconds=30
)
print(asyncio.run(call))
"""


def test_the_fork_server_imports_the_workers_code_from_the_apps_pythonpath(
    tmp_path: Path,
) -> None:
    """An app run from a source tree (``PYTHONPATH=…/src``) has its workers' code imported
    by the fork server from there too, not from another copy the interpreter has installed:
    the module preloaded from ``PYTHONPATH`` reaches the child already imported."""
    (tmp_path / "marker.py").write_text(MARKER)
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMSTACK_")}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), *sys.path])
    done = subprocess.run(
        [sys.executable, "-c", SANDBOX_WITH_MARKER],
        env=env,
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True"], done.stdout
