"""``python -m bench [--quick] [NAME ...]``: run benchmarks, print a markdown table, write JSON.

With no NAME every benchmark runs, in order. Each prints its table as soon as it is done;
the JSON (rows plus every raw measurement) goes to ``bench/out/<stamp>-<name>.json``. The
exit status is 1 if a benchmark could not run or a pass/fail criterion (the soak's) failed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from bench.plan import BenchPlan
from bench.report import BenchReport

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"

#: name -> module with ``run(plan) -> BenchReport``, in the issue's order.
BENCHMARKS = {
    "throughput": "bench.throughput",
    "first_byte": "bench.first_byte",
    "thumbnails": "bench.thumbnails",
    "observability": "bench.observability",
    "protocol": "bench.protocol",
    "cold_cache": "bench.cold_cache",
    "catalogue_list": "bench.catalogue_list",
    "login_storm": "bench.login_storm",
    "ingest": "bench.ingest_memory",
    "tus_chunks": "bench.tus_chunks",
    "transcode": "bench.transcode",
    "transcode_contention": "bench.transcode_contention",
    "transcode_still": "bench.transcode_still",
    "soak": "bench.soak",
}


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    from bench.load import wrk_version
    from bench.processes import nginx_version

    memory_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kib = int(line.split()[1])
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.partition(":")[2].strip()
            break
    import os

    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": round(memory_kib / 2**20, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": wrk_version(),
        "nginx": nginx_version(),
        "load_average": os.getloadavg(),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run ({', '.join(BENCHMARKS)})"
    )
    parser.add_argument(
        "--quick", action="store_true", help="3-second runs: a smoke test, not a measurement"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory and logs")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = args.names or list(BENCHMARKS)
    stamp = time.strftime("%Y%m%d-%H%M%S") + ("-quick" if args.quick else "")
    workdir = Path(tempfile.mkdtemp(prefix="streamstack-bench-"))
    workdir.chmod(0o755)  # nginx's workers (user nobody) read the objects below it
    plan = BenchPlan(quick=args.quick, workdir=workdir, cache=OUT_DIR / "cache")
    about = machine()
    print(f"# StreamStack benchmarks ({'quick smoke run' if args.quick else 'full run'})\n")
    print(
        f"{about['date']}: {about['cpus']} CPUs ({about['cpu_model']}), "
        f"{about['memory_gib']} GiB, Linux {about['kernel']}, Python {about['python']}, "
        f"{about['wrk']}, nginx {about['nginx']}, load average {about['load_average']}\n",
        flush=True,
    )
    reports: list[BenchReport] = []
    failures: list[str] = []
    try:
        for name in names:
            module = importlib.import_module(BENCHMARKS[name])
            began = time.monotonic()
            try:
                report: BenchReport = module.run(plan)
            except Exception:
                failures.append(name)
                print(f"### {name}: could not run\n\n```\n{traceback.format_exc()}```\n")
                continue
            report.raw["wall_seconds"] = round(time.monotonic() - began, 1)
            reports.append(report)
            path = report.write(OUT_DIR, stamp)
            print(report.markdown(), f"\n\n(JSON: {path.relative_to(BENCH_DIR.parent)})\n")
            sys.stdout.flush()
            if report.failed:
                failures.append(name)
    finally:
        if args.keep:
            print(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    summary = {
        "machine": about,
        "quick": args.quick,
        "reports": [r.as_json() for r in reports],
        "failed": failures,
    }
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / f"{stamp}-all.json").write_text(json.dumps(summary, indent=2, default=str))
    if failures:
        print(f"FAILED: {', '.join(failures)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
