"""How long and where a bench run measures: the issue's durations, or ``--quick`` ones."""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.report import BenchReport

#: A measured run in ``--quick`` mode: long enough to smoke-test, too short to trust.
QUICK_SECONDS = 3.0


@dataclasses.dataclass(frozen=True, slots=True)
class BenchPlan:
    """Shared by every benchmark of one ``python -m bench`` invocation."""

    quick: bool
    workdir: Path
    cache: Path

    def seconds(self, full: float) -> float:
        """How long a measured run lasts: ``full`` normally, a few seconds in quick mode."""
        return min(full, QUICK_SECONDS) if self.quick else full

    def scratch(self, name: str) -> Path:
        """A fresh directory for one benchmark's services and logs."""
        path = self.workdir / name
        path.mkdir(parents=True, exist_ok=True)
        return path


def run_alone(
    run: Callable[[BenchPlan], BenchReport],
    argv: list[str] | None,
    *,
    prog: str,
    description: str | None,
    quick: str,
) -> int:
    """``python -m <prog> [--quick]``: one benchmark on its own, in a scratch directory
    removed afterwards; print its table; 1 if it failed."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--quick", action="store_true", help=quick)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="streamstack-bench-"))
    cache = Path(__file__).resolve().parent / "out" / "cache"
    try:
        report = run(BenchPlan(quick=args.quick, workdir=workdir, cache=cache))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(report.markdown())
    return 1 if report.failed else 0
