"""``streamstack worker``: transcoding workers on the shared job queue, in their own process.

The process runs ``STREAMSTACK_WORKER_CONCURRENCY`` transcoding slots (ingest's job handler
on the ``media`` queue) and serves only ``/health``, ``/ready`` (which reports the worker
task as ``task:ingest.transcode``) and ``/metrics``: no module routes, no upload sweeper.
It needs the queue and the media bucket (``STREAMSTACK_NATS_URL``, ``STREAMSTACK_S3_*``;
in dev, the data directory of ``streamstack dev``) and reaches catalogue at
``STREAMSTACK_CATALOGUE_URL`` with the internal secret. Workers are stateless: start as
many, on as many machines, as the backlog needs. SIGTERM lets running jobs finish for a
few seconds, then hands them back to the queue; a killed worker's job is delivered again
after the ack wait (``STREAMSTACK_JOBS_ACK_WAIT_SECONDS``).
"""

from __future__ import annotations

import argparse

from streamstack.cli.commands import serve_app, server_settings


def run_worker(args: argparse.Namespace) -> int:
    """``streamstack worker``."""
    from streamstack.ingest.module import WORKER

    settings = server_settings(
        modules=("ingest",),
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        worker_concurrency=args.concurrency,
    )
    serve_app(settings.replace(web_dist_dir=None), {"ingest": WORKER})
    return 0
