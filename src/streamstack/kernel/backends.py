"""The backends a process uses, chosen from settings: production or embedded adapters.

Modules ask for what they need (a KV bucket, an object bucket, the event bus, the
database); each backend asked for is also a readiness check for ``GET /ready``.

Embedded backends are for dev mode only: in production a module asking for a backend whose
URL is unset stops the process with a one-line error naming the variable, instead of
quietly keeping live data in a local file nobody backs up or shares between replicas.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import structlog

from streamstack.kernel.circuit import CircuitBreaker
from streamstack.kernel.db import Database
from streamstack.kernel.errors import AppError, ServiceUnavailable
from streamstack.kernel.events import EventBus
from streamstack.kernel.events.memory import MemoryEventBus
from streamstack.kernel.jobs import JobQueue, QueueConfig
from streamstack.kernel.jobs.embedded import EmbeddedJobQueue
from streamstack.kernel.kv import KeyValueStore
from streamstack.kernel.kv.embedded import EmbeddedKeyValueStore
from streamstack.kernel.readiness import PING_SECONDS, ReadinessChecks
from streamstack.kernel.storage import ObjectStore
from streamstack.kernel.storage.local import LocalObjectStore, free_bytes_at
from streamstack.kernel.storage.private_files import private_directory
from streamstack.kernel.text import mib
from streamstack.settings import PREFIX, Settings, SettingsError

# The NATS and S3 adapters are imported when a backend first needs them, not here: their
# client libraries (nats-py with aiohttp, aiobotocore with botocore) cost about half a second
# of CPU at every start of a process that runs on embedded backends or needs neither.
if TYPE_CHECKING:
    from streamstack.kernel.nats import NatsConnection
    from streamstack.kernel.storage.s3 import S3Client

log = structlog.get_logger(__name__)


class Backends:
    """Lazily built adapters shared by every module mounted in this process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.checks = ReadinessChecks()
        self._nats: NatsConnection | None = None
        self._kv_breaker: CircuitBreaker | None = None
        self._s3: S3Client | None = None
        self._kv: dict[str, KeyValueStore] = {}
        self._objects: dict[str, ObjectStore] = {}
        self._jobs: dict[str, JobQueue] = {}
        self._events: EventBus | None = None
        self._database: Database | None = None
        self._closers: list[Callable[[], Awaitable[None]]] = []

    def _use_server(self, url: str, variable: str, what: str) -> bool:
        """Whether a server at ``url`` is used; in production an unset one is an error."""
        if not url and self.settings.environment == "production":
            raise SettingsError(
                f"{PREFIX}{variable}: required in production (a mounted module needs {what}; "
                "embedded backends are for dev mode)"
            )
        if not url:
            # Embedded data (password hashes, live tokens, objects) is for this user only.
            private_directory(self.settings.data_dir, owned=True)
            self.checks.add("disk:data", self._data_disk_has_room)
        return bool(url)

    async def _data_disk_has_room(self) -> None:
        """The readiness check of the embedded backends' disk: a full one fails their
        writes (sign-ins, uploads) while every ``SELECT 1`` still answers."""
        free = free_bytes_at(self.settings.data_dir)
        floor = self.settings.data_dir_free_space_floor_bytes
        if free < floor:
            raise ServiceUnavailable(
                f"the data directory's disk has {mib(free)} free, less than "
                f"{PREFIX}DATA_DIR_FREE_SPACE_FLOOR_BYTES ({mib(floor)}): "
                "free space on it"
            )

    @property
    def nats(self) -> NatsConnection:
        """The shared NATS connection (production only)."""
        if self._nats is None:
            from streamstack.kernel.nats import NatsConnection

            self._nats = NatsConnection(
                self.settings.nats_url, timeout=self.settings.nats_timeout_seconds
            )
            self._closers.append(self._nats.close)
        return self._nats

    def kv(self, bucket: str, ttl_seconds: int) -> KeyValueStore:
        """The key-value bucket ``bucket`` with a bucket-wide TTL."""
        if bucket not in self._kv:
            store: KeyValueStore
            if self._use_server(self.settings.nats_url, "NATS_URL", f"the {bucket} KV bucket"):
                from streamstack.kernel.kv.nats import NatsKeyValueStore

                store = NatsKeyValueStore(
                    self.nats, bucket, ttl_seconds, breaker=self._nats_kv_breaker()
                )
                self.checks.add("nats", self.nats.ping, PING_SECONDS)
            else:
                embedded = EmbeddedKeyValueStore(
                    self.settings.data_dir / "kv.sqlite3", bucket, ttl_seconds
                )
                self._closers.append(embedded.close)
                store = embedded
                self.checks.add(f"kv:{bucket}", embedded.ping)
            self._kv[bucket] = store
        return self._kv[bucket]

    def jobs(self, queue: str, config: QueueConfig | None = None) -> JobQueue:
        """The durable job queue ``queue`` (a JetStream work-queue stream, or SQLite)."""
        if queue not in self._jobs:
            s = self.settings
            config = config or QueueConfig(
                ack_wait=s.jobs_ack_wait_seconds, max_deliver=s.jobs_max_deliver
            )
            job_queue: JobQueue
            if self._use_server(s.nats_url, "NATS_URL", f"the {queue} job queue"):
                from streamstack.kernel.jobs.nats import NatsJobQueue

                job_queue = NatsJobQueue(self.nats, queue, config)
                self.checks.add("nats", self.nats.ping, PING_SECONDS)
                self.checks.add(f"jobs:{queue}", job_queue.ping, PING_SECONDS)
            else:
                embedded = EmbeddedJobQueue(s.data_dir / "jobs" / "jobs.sqlite3", queue, config)
                self._closers.append(embedded.close)
                job_queue = embedded
                self.checks.add(f"jobs:{queue}", job_queue.ping)
            self._jobs[queue] = job_queue
        return self._jobs[queue]

    def objects(self, bucket: str) -> ObjectStore:
        """The object bucket ``bucket`` (S3, or a folder of the data directory)."""
        if bucket not in self._objects:
            store: ObjectStore
            if self._use_server(
                self.settings.s3_endpoint_url, "S3_ENDPOINT_URL", f"bucket {bucket}"
            ):
                from streamstack.kernel.storage.s3 import S3ObjectStore

                s3_store = S3ObjectStore(self._s3_client(), bucket)
                store = s3_store
                self.checks.add(f"s3:{bucket}", s3_store.ping)
            else:
                local = LocalObjectStore(self.settings.data_dir / "objects", bucket)
                store = local
                self.checks.add(f"storage:{bucket}", local.ping)
            self._objects[bucket] = store
        return self._objects[bucket]

    @property
    def events(self) -> EventBus:
        """The event bus (JetStream, or in-process)."""
        if self._events is None:
            if self._use_server(self.settings.nats_url, "NATS_URL", "the event bus"):
                from streamstack.kernel.events.nats import NatsEventBus

                # Streams follow the subjects (events.stream_of): the kernel names no module.
                self._events = NatsEventBus(self.nats)
                self.checks.add("nats", self.nats.ping, PING_SECONDS)
            else:
                memory = MemoryEventBus()
                self._closers.append(memory.close)  # its pending redeliveries
                self._events = memory
        return self._events

    @property
    def database(self) -> Database:
        """The relational store."""
        if self._database is None:
            self._use_server(self.settings.database_url, "DATABASE_URL", "a database")
            self._database = Database(
                self.settings.effective_database_url,
                timeout=self.settings.database_timeout_seconds,
            )
            self._closers.append(self._database.close)
            self.checks.add("database", self._database.ping, PING_SECONDS)
        return self._database

    async def prepare(self) -> None:
        """Start-up work: create missing S3 buckets (dev and tests; compose makes them)."""
        if self._s3 is None:  # no S3 bucket was asked for
            return
        from streamstack.kernel.storage.s3 import S3ObjectStore

        for store in self._objects.values():
            if isinstance(store, S3ObjectStore):
                # A store that is down now must not stop the process: /ready reports it
                # and requests get 503 until it answers.
                try:
                    await store.ensure_bucket()
                except AppError as exc:
                    log.warning("storage.bucket_unchecked", bucket=store.bucket, error=exc.detail)

    async def readiness(self) -> dict[str, str]:
        """Run every backend's check concurrently: name -> "ok" or the failure."""
        return await self.checks.run()

    def closers(self) -> list[Callable[[], Awaitable[None]]]:
        """The close steps of every backend opened, newest first (each runs once)."""
        steps, self._closers = [self.checks.close, *reversed(self._closers)], []
        return steps

    async def close(self) -> None:
        """Close every connection and file, newest first."""
        for close in self.closers():
            await close()

    async def __aenter__(self) -> Backends:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Leaving ``async with Backends(settings) as backends:`` closes them."""
        await self.close()

    def _nats_kv_breaker(self) -> CircuitBreaker:
        # One for every bucket: when one call finds NATS down, all fail fast, one probe.
        if self._kv_breaker is None:
            from streamstack.kernel.kv.nats import nats_breaker

            self._kv_breaker = nats_breaker(self.nats)
            self._closers.append(self._kv_breaker.close)
        return self._kv_breaker

    def _s3_client(self) -> S3Client:
        if self._s3 is None:
            from streamstack.kernel.storage.s3 import S3Client

            s = self.settings
            self._s3 = S3Client(
                s.s3_endpoint_url,
                s.s3_access_key_id,
                s.s3_secret_access_key,
                s.s3_region,
                pool_size=s.s3_pool_size,
                timeout_seconds=s.s3_timeout_seconds,
            )
            self._closers.append(self._s3.close)
        return self._s3
