"""What a benchmark hands back: rows comparing a measurement to a same-run baseline.

Each :class:`Row` is one line of the printed markdown table; :class:`BenchReport` also
keeps the raw numbers (every wrk report, every sample summary) for ``bench/out/*.json``.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any, Literal

Kind = Literal["ratio", "difference", "value", "check"]


@dataclasses.dataclass(frozen=True, slots=True)
class Quantity:
    """A measured number with its unit and what was measured."""

    label: str
    amount: float
    unit: str

    def __str__(self) -> str:
        return f"{self.label}: {format_amount(self.amount, self.unit)}"


def format_amount(amount: float, unit: str) -> str:
    if math.isnan(amount):
        return "n/a"
    if unit == "B/s":
        return f"{amount / 1e6:,.0f} MB/s"
    if unit == "B":
        return f"{amount / 2**20:,.1f} MiB"
    if unit == "ms":
        return f"{amount:,.2f} ms"
    if unit == "req/s":
        return f"{amount:,.0f} req/s"
    if unit == "x":
        return f"{amount:.3f}"
    return f"{amount:,.3g} {unit}".strip()


@dataclasses.dataclass(frozen=True, slots=True)
class Row:
    """One comparison: ``value`` against ``baseline`` as a ratio, a difference, or a check."""

    measure: str
    value: Quantity
    baseline: Quantity | None = None
    kind: Kind = "ratio"
    passed: bool | None = None  # for "check" rows: the criterion held

    @property
    def result(self) -> float:
        if self.baseline is None or self.kind == "value":
            return self.value.amount
        if self.kind == "difference":
            return self.value.amount - self.baseline.amount
        if self.baseline.amount == 0:
            return float("nan")
        return self.value.amount / self.baseline.amount

    def result_text(self) -> str:
        if self.kind == "check":
            return "PASS" if self.passed else "FAIL"
        if self.kind == "value" or self.baseline is None:
            return format_amount(self.value.amount, self.value.unit)
        if self.kind == "difference":
            sign = "+" if self.result >= 0 else "-"
            return f"{sign}{format_amount(abs(self.result), self.value.unit)}"
        return f"{self.result:.3f}x"

    def as_json(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "kind": self.kind,
            "value": dataclasses.asdict(self.value),
            "baseline": dataclasses.asdict(self.baseline) if self.baseline else None,
            "result": None if math.isnan(self.result) else self.result,
            "passed": self.passed,
        }


@dataclasses.dataclass(slots=True)
class BenchReport:
    """Everything one benchmark measured."""

    name: str
    title: str
    load_generator: str
    rows: list[Row] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    raw: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return any(row.kind == "check" and not row.passed for row in self.rows)

    def markdown(self) -> str:
        lines = [
            f"### {self.title}",
            "",
            f"Load generator: {self.load_generator}.",
            "",
            "| measurement | value | baseline | result |",
            "|---|---|---|---|",
        ]
        for row in self.rows:
            baseline = str(row.baseline) if row.baseline else ""
            lines.append(f"| {row.measure} | {row.value} | {baseline} | {row.result_text()} |")
        if self.notes:
            lines.append("")
            lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "load_generator": self.load_generator,
            "rows": [row.as_json() for row in self.rows],
            "notes": self.notes,
            "raw": self.raw,
        }

    def write(self, directory: Path, stamp: str) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{stamp}-{self.name}.json"
        path.write_text(json.dumps(self.as_json(), indent=2, default=str))
        return path
