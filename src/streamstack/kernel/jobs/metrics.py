"""Prometheus metrics of the job queues: backlog per queue, settled jobs per outcome.

Workers count every job they settle (:data:`JOBS_SETTLED`, by queue and outcome) and
time every handler run (:data:`JOB_DURATION`); a process that wants its queue's backlog
and the workers seen on it on ``/metrics`` calls :func:`track_backlog` once (the scrape
reads them).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from streamstack.kernel.jobs import JobQueue
from streamstack.kernel.metrics import track_gauge

JOB_BACKLOG = Gauge(
    "streamstack_job_backlog",
    "Jobs not yet acked or dead-lettered, by queue and state (waiting, running)",
    ["queue", "state"],
)
JOB_WORKERS = Gauge(
    "streamstack_job_workers",
    "Job workers seen on the queue (announced within its presence TTL), by queue",
    ["queue"],
)
JOBS_SETTLED = Counter(
    "streamstack_jobs_settled",
    "Jobs settled by workers, by queue and outcome "
    "(processed, retried, dead_lettered, released, cancelled)",
    ["queue", "outcome"],
)
JOB_DURATION = Histogram(
    "streamstack_job_duration_seconds",
    "Time a handler spent on one job attempt, by queue and job kind",
    ["queue", "kind"],
    buckets=(0.1, 0.5, 1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0),
)


def track_backlog(queue: JobQueue) -> None:
    """Report ``queue``'s backlog and the workers seen on it on ``/metrics`` (read once at
    each scrape): a backlog with no worker is what to alert on."""
    running = JOB_BACKLOG.labels(queue=queue.name, state="running")

    async def waiting() -> float:
        backlog = await queue.backlog()
        running.set(backlog.running)  # the same read serves both states
        return float(backlog.waiting)

    track_gauge(JOB_BACKLOG.labels(queue=queue.name, state="waiting"), waiting)

    async def workers() -> float:
        return float(len(await queue.workers()))

    track_gauge(JOB_WORKERS.labels(queue=queue.name), workers)
