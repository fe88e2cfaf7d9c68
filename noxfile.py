"""Developer sessions: ``dev`` (run the platform), ``tests`` (everything CI checks), ``bench``.

Run them through ``./noxw -s NAME`` so nothing needs installing first.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).parent
WEB = ROOT / "web"
nox.options.sessions = ["tests"]


def project_python(session: nox.Session, extras: str = "") -> Path:
    """The project's own ``.venv`` (shared by every session), with the package installed."""
    venv = ROOT / ".venv"
    if not (venv / "bin" / "python").exists():
        session.run(sys.executable, "-m", "venv", str(venv), external=True)
    target = f".[{extras}]" if extras else "."
    session.run(
        str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-e", target, external=True
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


def build_web(session: nox.Session) -> None:
    """Build the SPA into web/dist when it is missing or stale."""
    if web_is_stale():
        with session.chdir(WEB):
            npm(session, "run", "build")


@nox.session(python=False)
def dev(session: nox.Session) -> None:
    """Start the whole platform in one process on embedded backends, with the SPA, on :8000."""
    bin_ = project_python(session)
    build_web(session)
    session.run(str(bin_ / "streamstack"), "dev", *session.posargs, external=True)


@nox.session(python=False)
def tests(session: nox.Session) -> None:
    """Lint, type-check, import contracts, web checks, and the whole pytest suite."""
    bin_ = project_python(session, "dev")
    session.run(str(bin_ / "ruff"), "check", "src", "tests", "bench", "noxfile.py", external=True)
    session.run(str(bin_ / "ruff"), "format", "--check", "src", "tests", "bench", external=True)
    session.run(str(bin_ / "mypy"), external=True)
    session.run(str(bin_ / "lint-imports"), external=True)
    with session.chdir(WEB):
        npm(session, "run", "typecheck")
        npm(session, "run", "lint")
        npm(session, "test")
    build_web(session)
    env = {"STREAMSTACK_WEB_DIST_DIR": str(WEB / "dist")}
    session.run(str(bin_ / "python"), "-m", "pytest", *session.posargs, external=True, env=env)


@nox.session(python=False)
def bench(session: nox.Session) -> None:
    """Benchmarks: print ratios against same-run baselines, write bench/out/*.json."""
    bin_ = project_python(session, "dev")
    build_web(session)
    session.run(str(bin_ / "python"), "-m", "bench", *session.posargs, external=True)
