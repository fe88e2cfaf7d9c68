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

Before it serves, the worker asks catalogue whether it accepts its service credential: a
wrong ``STREAMSTACK_INTERNAL_SECRET`` ends it there with one line naming the setting (it
would fail every job it took), while a catalogue not answering yet is waited for.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools

from streamstack.cli.commands import serve_app, server_settings
from streamstack.kernel.backoff import backoff_seconds
from streamstack.settings import Settings, SettingsError

#: Longest wait between two questions to a catalogue that does not answer at start.
CATALOGUE_WAIT_MAX_SECONDS = 30.0


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
    asyncio.run(wait_for_catalogue(settings))
    serve_app(settings.replace(web_dist_dir=None), {"ingest": WORKER})
    return 0


async def wait_for_catalogue(settings: Settings) -> None:
    """Return once catalogue accepts this process's service credential.

    A :class:`SettingsError` naming the secret when catalogue refuses it; while catalogue
    is unreachable or not ready (503), ask again with a backoff, for as long as it takes
    (services and workers start in any order). Any other answer (a catalogue older than
    the question) lets the worker start: its jobs will tell.
    """
    # Imported here: the command line's other commands load no server stack.
    import structlog

    from streamstack.contracts.catalogue import CatalogueClient
    from streamstack.kernel.errors import AppError
    from streamstack.kernel.transport import CREDENTIAL_REFUSED, SECRET_SETTING, http_transport

    log = structlog.get_logger(__name__)
    if "catalogue" in settings.modules:
        return
    # A refusal is this check's answer, said as the one error line the worker ends with.
    transport = http_transport(settings, "catalogue", report_refusals=False)
    url = settings.module_url("catalogue")
    try:
        for attempt in itertools.count(1):
            try:
                await CatalogueClient(transport).check_credential()
                return
            except AppError as exc:
                if exc.code == CREDENTIAL_REFUSED:
                    raise SettingsError(
                        f"{SECRET_SETTING}: catalogue at {url} refuses this worker's service "
                        "credential; set the secret the services have"
                    ) from None
                if exc.status != 503:
                    log.warning("worker.credential_unchecked", error=str(exc))
                    return
                delay = backoff_seconds(attempt, 1.0, CATALOGUE_WAIT_MAX_SECONDS)
                log.warning("worker.waiting_for_catalogue", error=str(exc), retry_in_seconds=delay)
                await asyncio.sleep(delay)
    finally:
        await transport.close()
