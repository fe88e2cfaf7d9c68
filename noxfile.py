"""Developer sessions: ``dev`` (run the platform), ``tests`` (everything CI checks), ``bench``.

Run them through ``./noxw -s NAME`` so nothing needs installing first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nox

ROOT = Path(__file__).parent
WEB = ROOT / "web"
nox.options.sessions = ["tests"]

#: pytest worker processes in the ``tests`` session (pytest-xdist): two a core, at most 8.
#: Most of the suite's wall time is spent waiting (server start-ups, restarts, subprocesses,
#: timeouts): on CI's 2 cores one pytest keeps less than one core busy and two keep them
#: half idle, so four workers, each with its own PostgreSQL, NATS and S3 servers, finish
#: sooner (one machine, one hour: pytest 656 s with 2 workers, 542 s with 3, 485 s with 4).
#: ``STREAMSTACK_TEST_WORKERS=0`` runs the suite in one process (``-- -n 0`` for one run).
TEST_WORKERS = os.environ.get("STREAMSTACK_TEST_WORKERS", str(min(8, 2 * (os.cpu_count() or 1))))


def project_python(session: nox.Session, extras: str = "", *, compile_all: bool = True) -> Path:
    """The project's own ``.venv`` (shared by every session), with the package installed.

    ``compile_all=False``: pip does not byte-compile every installed module up front; Python
    compiles (and caches) only those a run imports, on first import. On a fresh clone that
    saves most of a minute of pip's time on 2 cores, for a few seconds at first import.
    """
    venv = ROOT / ".venv"
    if not (venv / "bin" / "python").exists():
        session.run(sys.executable, "-m", "venv", str(venv), external=True)
    target = f".[{extras}]" if extras else "."
    compiling = [] if compile_all else ["--no-compile"]
    session.run(
        str(venv / "bin" / "python"),
        *("-m", "pip", "install", "-q", *compiling, "-e", target),
        external=True,
    )
    return venv / "bin"


def web_is_stale() -> bool:
    """True when web/dist is missing or older than any source of the SPA."""
    index = WEB / "dist" / "index.html"
    if not index.exists():
        return True
    built = index.stat().st_mtime
    sources = [WEB / "index.html", WEB / "package.json", WEB / "vite.config.ts"]
    sources += [p for p in (WEB / "src").rglob("*") if p.is_file()]
    return any(p.exists() and p.stat().st_mtime > built for p in sources)


def npm(session: nox.Session, *args: str) -> None:
    """Run npm in web/, installing node_modules from the lock file when needed."""
    if shutil.which("npm") is None:
        session.error("npm (Node 20) is needed to build the web app")
    if not (WEB / "node_modules").exists():
        session.run("npm", "ci", "--no-audit", "--no-fund", external=True)
    session.run("npm", *args, external=True)


def build_web(session: nox.Session, *, typechecked: bool = False) -> None:
    """Build the SPA into web/dist when it is missing or stale.

    ``typechecked``: ``tsc`` has just passed, so only the bundler runs (``npm run build`` is
    ``tsc --noEmit && vite build``, and tsc is most of its time).
    """
    if web_is_stale():
        with session.chdir(WEB):
            if typechecked:
                npm(session, "exec", "--no", "--", "vite", "build")
            else:
                npm(session, "run", "build")


def start_web_install(session: nox.Session) -> subprocess.Popen[bytes] | None:
    """Start ``npm ci`` in the background when node_modules is missing (a fresh clone).

    It downloads and unpacks while pip installs the Python side; :func:`finish_web_install`
    waits for it.
    """
    if (WEB / "node_modules").exists():
        return None
    if shutil.which("npm") is None:
        session.error("npm (Node 20) is needed to build the web app")
    session.log("npm ci --no-audit --no-fund (in the background, in web/)")
    return subprocess.Popen(
        ["npm", "ci", "--no-audit", "--no-fund"],
        cwd=WEB,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def finish_web_install(session: nox.Session, install: subprocess.Popen[bytes] | None) -> None:
    """Wait for :func:`start_web_install`'s ``npm ci``; fail the session with its output."""
    if install is None:
        return
    output, _ = install.communicate()
    if install.returncode != 0:
        print(output.decode(errors="replace"), end="")
        session.error(f"npm ci failed with exit code {install.returncode}")


def run_together(session: nox.Session, checks: dict[str, tuple[Path, list[str]]]) -> None:
    """Run independent single-threaded checks at once (on 2 cores, about half the wall time).

    ``checks`` maps a name to (working directory, command). Each one's output is printed
    whole once all are done, so nothing interleaves; the session fails if any failed. Only
    for checks without time limits: a test runner squeezed for CPU could time out.
    """

    def run(item: tuple[str, tuple[Path, list[str]]]) -> tuple[str, int, str]:
        name, (cwd, argv) = item
        done = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        return name, done.returncode, done.stdout.decode(errors="replace")

    with ThreadPoolExecutor(max_workers=len(checks)) as pool:
        results = list(pool.map(run, checks.items()))
    failed = []
    for name, code, output in results:
        session.log(f"{name}: {' '.join(checks[name][1])} (exit code {code})")
        print(output, end="" if output.endswith("\n") or not output else "\n")
        if code != 0:
            failed.append(name)
    if failed:
        session.error(f"failed: {', '.join(failed)}")


@nox.session(python=False)
def dev(session: nox.Session) -> None:
    """Start the whole platform in one process on embedded backends, with the SPA, on :8000."""
    bin_ = project_python(session)
    build_web(session)
    session.run(str(bin_ / "streamstack"), "dev", *session.posargs, external=True)


@nox.session(python=False)
def tests(session: nox.Session) -> None:
    """Lint, type-check, import contracts, web checks, and the whole pytest suite."""
    web_install = start_web_install(session)
    bin_ = project_python(session, "dev", compile_all=False)
    finish_web_install(session, web_install)
    session.run(str(bin_ / "ruff"), "check", "src", "tests", "bench", "noxfile.py", external=True)
    session.run(str(bin_ / "ruff"), "format", "--check", "src", "tests", "bench", external=True)
    session.run(str(bin_ / "lint-imports"), external=True)
    if shutil.which("npm") is None:
        session.error("npm (Node 20) is needed to build the web app")
    run_together(
        session,
        {
            "mypy": (ROOT, [str(bin_ / "mypy")]),
            "web typecheck": (WEB, ["npm", "run", "typecheck"]),
            "web lint": (WEB, ["npm", "run", "lint"]),
        },
    )
    with session.chdir(WEB):
        npm(session, "test")  # alone: its tests have time limits, sharing the cores risks them
    build_web(session, typechecked=True)
    env = {
        "STREAMSTACK_WEB_DIST_DIR": str(WEB / "dist"),
        # The suite starts hundreds of Python processes (workers, servers, CLIs). With
        # PYTHONDONTWRITEBYTECODE set (as on CI's machines) each compiled every module it
        # imported from source (the app alone: 2.1 s against 0.9 s cached); empty, the first
        # to import a module caches it for the rest.
        "PYTHONDONTWRITEBYTECODE": "",
    }
    session.run(
        str(bin_ / "python"),
        # The slowest tests (setup included) in the log, to keep the suite's time in view.
        *("-m", "pytest", "--durations=20", *pytest_workers(), *session.posargs),
        external=True,
        env=env,
    )


def pytest_workers() -> list[str]:
    """pytest-xdist options for :data:`TEST_WORKERS` workers (none for 0 or 1).

    ``--dist loadfile``: a file's tests run in one worker, so its module-scoped fixtures
    (apps, server processes) are built once, as in a single-process run.
    ``--no-loadscope-reorder``: files are handed out in the order tests/conftest.py collects
    them (the heavy ones first), not by number of tests, which left them for the tail.
    """
    if TEST_WORKERS in ("", "0", "1"):
        return []
    return ["-n", TEST_WORKERS, "--dist", "loadfile", "--no-loadscope-reorder"]


@nox.session(python=False)
def bench(session: nox.Session) -> None:
    """Benchmarks: print ratios against same-run baselines, write bench/out/*.json."""
    bin_ = project_python(session, "dev")
    build_web(session)
    session.run(str(bin_ / "python"), "-m", "bench", *session.posargs, external=True)
