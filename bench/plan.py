"""How long and where a bench run measures: the issue's durations, or ``--quick`` ones."""

from __future__ import annotations

import dataclasses
from pathlib import Path

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
