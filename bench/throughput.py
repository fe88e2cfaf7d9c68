"""Item 1: streaming throughput, 1 MiB ranges, 16 concurrent clients, 15 s per row.

Three ratios, every row driven by the same wrk settings:

* the service on S3 (moto, with NATS KV for tokens) ÷ direct presigned GETs on that moto;
* the service on the local-directory store ÷ nginx sendfile of the same file;
* ``STREAMSTACK_STREAMING_DELIVERY=nginx`` ÷ nginx sendfile: nginx runs the shipped
  ``compose/nginx-streaming.conf`` (a token check by ``auth_request``, cached 2 s, then
  every range by nginx itself), so the row measures what a deployment gets.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path

from bench.load import MIB, WrkResult, range_env, run_wrk
from bench.media import (
    MEDIA_KEY,
    OBJECT_BYTES,
    S3_OBJECT_BYTES,
    object_file,
    store_local,
    store_s3,
)
from bench.plan import BenchPlan
from bench.processes import BenchKeys, Nginx, Service, harness_server, nginx_config
from bench.report import BenchReport, Quantity, Row

NAME = "throughput"
RANGE_BYTES = MIB
CONNECTIONS = 16
SECONDS = 15.0
MEDIA_BUCKET = "media"
#: Production refuses the embedded backends (local directory, file KV) by design; the
#: local-directory rows run ``streamstack serve`` in the dev environment instead.
LOCAL_BACKENDS = {"STREAMSTACK_ENVIRONMENT": "dev"}


def s3_settings(s3: object, nats_url: str) -> dict[str, str]:
    """``STREAMSTACK_*`` for a service on the harness's moto and NATS."""
    endpoint = s3.endpoint  # type: ignore[attr-defined]
    return {
        "STREAMSTACK_S3_ENDPOINT_URL": endpoint.url,
        "STREAMSTACK_S3_ACCESS_KEY_ID": endpoint.access_key_id,
        "STREAMSTACK_S3_SECRET_ACCESS_KEY": endpoint.secret_access_key,
        "STREAMSTACK_S3_REGION": endpoint.region,
        "STREAMSTACK_NATS_URL": nats_url,
    }


@dataclasses.dataclass(frozen=True)
class S3Streaming:
    """A streaming service on the harness's moto (tokens in its NATS KV) with MEDIA_KEY
    stored, and the object's presigned URL for direct GETs."""

    service: Service
    nats_url: str
    presigned_url: str


def s3_streaming(
    stack: contextlib.ExitStack, plan: BenchPlan, workdir: Path, keys: BenchKeys
) -> S3Streaming:
    """Start moto, NATS and a streaming service on them (stopped with ``stack``)."""
    s3 = stack.enter_context(harness_server("s3", workdir))
    nats = stack.enter_context(harness_server("nats", workdir))
    client = s3.endpoint.client()
    store_s3(client, MEDIA_BUCKET, MEDIA_KEY, object_file(plan.cache, S3_OBJECT_BYTES))
    service = stack.enter_context(
        Service(
            "streaming-s3",
            workdir,
            keys,
            modules=("streaming",),
            settings=s3_settings(s3, nats.url),
        )
    )
    presigned = client.generate_presigned_url(
        "get_object", Params={"Bucket": MEDIA_BUCKET, "Key": MEDIA_KEY}, ExpiresIn=3600
    )
    return S3Streaming(service, nats.url, presigned)


def local_streaming(
    workdir: Path,
    keys: BenchKeys,
    name: str,
    source: Path,
    settings: Mapping[str, str] | None = None,
) -> Service:
    """A streaming service on the local-directory store holding ``source`` as MEDIA_KEY
    (``settings``: more ``STREAMSTACK_*`` for it)."""
    service = Service(
        name,
        workdir,
        keys,
        modules=("streaming",),
        settings={**LOCAL_BACKENDS, **(settings or {})},
    )
    store_local(service.data_dir / "objects", MEDIA_BUCKET, MEDIA_KEY, source)
    return service


def accel_streaming(workdir: Path, keys: BenchKeys, objects: Path) -> Service:
    """A streaming service in nginx delivery mode, over the same objects directory."""
    service = Service(
        "streaming-accel",
        workdir,
        keys,
        modules=("streaming",),
        settings={**LOCAL_BACKENDS, "STREAMSTACK_STREAMING_DELIVERY": "nginx"},
    )
    link = service.data_dir / "objects"
    if not link.exists():
        link.symlink_to(objects.resolve(), target_is_directory=True)
    return service


#: The shipped snippet inside the bench's http block, with the cache it expects.
SHIPPED_HTTP = """
    proxy_cache_path {prefix}/checks levels=1:2 keys_zone=streamstack_checks:4m
                     max_size=64m inactive=10s use_temp_path=off;
    server {{
        listen 127.0.0.1:{port};
        include {prefix}/snippet.conf;
    }}
"""


class ShippedNginx(Nginx):
    """nginx with ``compose/nginx-streaming.conf`` in front of a streaming service."""

    def __init__(self, workdir: Path, *, objects: Path, upstream: str) -> None:
        super().__init__(workdir, objects=objects, upstream=upstream, workers=1)
        snippet = (
            Path(__file__).resolve().parents[1] / "compose" / "nginx-streaming.conf"
        ).read_text()
        values = {
            "STREAMSTACK_STREAMING_UPSTREAM": f"http://{upstream}",
            "STREAMSTACK_OBJECTS_DIR": str(objects.resolve()),
            "STREAMSTACK_S3_ENDPOINT": "http://127.0.0.1:9",  # local directory only
        }
        for name, value in values.items():
            snippet = snippet.replace("${" + name + "}", value)
        (self.prefix / "snippet.conf").write_text(snippet)
        http = SHIPPED_HTTP.format(prefix=self.prefix, port=self.port)
        self.config.write_text(nginx_config(self.prefix, workers=1, http=http))


def measure(url: str, seconds: float, object_bytes: int) -> WrkResult:
    return run_wrk(
        url,
        script="ranges.lua",
        seconds=seconds,
        connections=CONNECTIONS,
        env=range_env(object_bytes, RANGE_BYTES),
    )


def whole_ranges(result: WrkResult, range_bytes: int, connections: int) -> bool:
    """Whether the bytes received are one range per response (plus headers).

    wrk also counts the bytes of the responses still in flight when it stops, up to one
    range per connection, hence the slack.
    """
    low = result.requests * range_bytes
    high = (result.requests + connections) * (range_bytes + 2048)
    return low <= result.bytes <= high


def rate(label: str, result: WrkResult) -> Quantity:
    return Quantity(label, result.bytes_per_second, "B/s")


def cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) process ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def notes(results: Mapping[str, WrkResult], cpu_us: Mapping[str, float]) -> list[str]:
    """Errors, bodies that were not one range each, and the services' CPU per response."""
    lines = []
    for name, result in results.items():
        if result.error_count:
            lines.append(f"{name}: {result.errors} errors in {result.requests} requests")
        if not whole_ranges(result, RANGE_BYTES, CONNECTIONS):
            lines.append(
                f"{name}: {result.mean_response_bytes:,.0f} bytes per response, not one range"
            )
    if cpu_us:
        # The ratios move by tens of percent with the machine's other load; the service's
        # own CPU per response moves much less, so it shows what a change of ours did.
        each = ", ".join(f"{name} {value:,.0f} µs" for name, value in cpu_us.items())
        lines.append(f"service CPU (user + system) per {RANGE_BYTES // MIB} MiB response: {each}")
    lines.append(
        f"objects: {S3_OBJECT_BYTES // MIB} MiB on moto (moto copies the whole object for "
        f"each ranged GET, so a larger one measures only moto, and answers every request with "
        "`Connection: close`, so wrk and the service connect anew for each range: in C for wrk, "
        "through its own pooled HTTP/1.1 client for the service, a cost S3 itself, keeping "
        f"connections alive, does not ask of it), {OBJECT_BYTES // MIB} MiB on "
        "the local directory (in the page cache); services: one "
        f"`streamstack serve --module streaming` process each (uvicorn, 1 worker); "
        f"nginx 1 worker; {os.cpu_count()} cores shared by wrk, servers and moto"
    )
    return lines


def run(plan: BenchPlan) -> BenchReport:
    workdir = plan.scratch(NAME)
    seconds = plan.seconds(SECONDS)
    keys = BenchKeys(workdir / "keys")
    source = object_file(plan.cache)
    report = BenchReport(
        NAME,
        f"1. Streaming throughput: {RANGE_BYTES // MIB} MiB ranges, {CONNECTIONS} clients, "
        f"{seconds:g} s per row",
        f"wrk (Debian) -t2 -c{CONNECTIONS}, lua/ranges.lua (random aligned ranges)",
    )
    results: dict[str, WrkResult] = {}
    with contextlib.ExitStack() as stack:
        on_s3 = s3_streaming(stack, plan, workdir, keys)
        s3_service = on_s3.service
        local = stack.enter_context(local_streaming(workdir, keys, "streaming-local", source))
        objects = local.data_dir / "objects"
        accel = stack.enter_context(accel_streaming(workdir, keys, objects))
        nginx = stack.enter_context(
            Nginx(workdir, objects=objects, upstream=f"127.0.0.1:{accel.port}", workers=1)
        )
        shipped = stack.enter_context(
            ShippedNginx(workdir / "shipped", objects=objects, upstream=f"127.0.0.1:{accel.port}")
        )
        targets = {
            "s3_direct": (on_s3.presigned_url, S3_OBJECT_BYTES),
            "service_s3": (
                s3_service.url + s3_service.issue_stream_url(MEDIA_KEY, S3_OBJECT_BYTES),
                S3_OBJECT_BYTES,
            ),
            "nginx_sendfile": (f"{nginx.url}/files/{MEDIA_BUCKET}/{MEDIA_KEY}", OBJECT_BYTES),
            "service_local": (
                local.url + local.issue_stream_url(MEDIA_KEY, OBJECT_BYTES),
                OBJECT_BYTES,
            ),
            "nginx_accel": (
                shipped.url + accel.issue_stream_url(MEDIA_KEY, OBJECT_BYTES),
                OBJECT_BYTES,
            ),
        }
        # Warm the page cache and every connection pool before anything is measured.
        for url, size in targets.values():
            measure(url, 1, size)
        services = {"service_s3": s3_service.pid, "service_local": local.pid}
        cpu_us: dict[str, float] = {}
        for name, (url, size) in targets.items():
            pid = services.get(name)
            used = cpu_seconds(pid) if pid else 0.0
            results[name] = measure(url, seconds, size)
            if pid:
                used = cpu_seconds(pid) - used
                cpu_us[name] = used * 1e6 / max(1, results[name].requests)
    report.rows = [
        Row(
            "service on S3 (moto) ÷ direct GETs on moto",
            rate("service", results["service_s3"]),
            rate("moto direct", results["s3_direct"]),
        ),
        Row(
            "service on local directory ÷ nginx sendfile",
            rate("service", results["service_local"]),
            rate("nginx sendfile", results["nginx_sendfile"]),
        ),
        Row(
            "nginx delivery mode (X-Accel) ÷ nginx sendfile",
            rate("X-Accel", results["nginx_accel"]),
            rate("nginx sendfile", results["nginx_sendfile"]),
        ),
    ]
    report.notes += notes(results, cpu_us)
    report.raw = {name: result.as_json() for name, result in results.items()}
    return report
