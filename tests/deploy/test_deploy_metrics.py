"""GET /metrics: litestar's Prometheus plugin on every app, plus the domain metrics."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from deploy_paths import COMPOSE_DIR
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.utils import floatToGoString

from streamstack.catalogue import metrics as catalogue_metrics
from streamstack.ingest import metrics as ingest_metrics
from streamstack.kernel import metrics
from streamstack.kernel.jobs.metrics import JOBS_SETTLED
from streamstack.streaming import metrics as streaming_metrics
from support.apps import AppClient, make_settings, running_app


async def scrape(
    client: AppClient,
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``GET /metrics`` as (name, sorted labels) -> value."""
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def requests_of(samples: dict[Any, float], path: str, status: int) -> float:
    """``streamstack_requests_total`` for one route template and status, any method."""
    return sum(
        value
        for (name, labels), value in samples.items()
        if name == "streamstack_requests_total"
        and dict(labels)["path"] == path
        and dict(labels)["status_code"] == str(status)
    )


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[AppClient]:
    """All four modules in one app on the embedded backends."""
    async with running_app(make_settings("embedded", tmp_path / "data")) as running:
        yield running


async def test_requests_are_counted_by_route_template_and_status(
    client: AppClient,
) -> None:
    before = await scrape(client)
    assert (await client.get("/ready")).status_code == 200
    token = secrets.token_urlsafe(32)
    assert (await client.get(f"/api/v1/stream/{token}")).status_code == 404
    response = await client.get("/metrics")
    after = await scrape(client)

    assert requests_of(after, "/ready", 200) == requests_of(before, "/ready", 200) + 1
    stream_route = "/api/v1/stream/{token}"
    assert requests_of(after, stream_route, 404) == requests_of(before, stream_route, 404) + 1
    # A stream token is a credential: it must never become a label value.
    assert token not in response.text
    latency = [
        value
        for (name, labels), value in after.items()
        if name == "streamstack_request_duration_seconds_count" and dict(labels)["path"] == "/ready"
    ]
    assert latency and sum(latency) >= 1
    # The registry is process-wide, so other apps of this test session may have samples too:
    # look for this app's own.
    app_names = {
        dict(labels)["app_name"]
        for (name, labels), value in after.items()
        if name == "streamstack_requests_total" and dict(labels)["path"] == "/ready" and value
    }
    assert "auth+catalogue+streaming+ingest" in app_names


async def test_scrapes_and_liveness_probes_are_not_counted(client: AppClient) -> None:
    await client.get("/health")
    await scrape(client)
    samples = await scrape(client)
    paths = {
        dict(labels)["path"] for name, labels in samples if name == "streamstack_requests_total"
    }
    assert "/metrics" not in paths
    assert "/health" not in paths


async def test_metrics_is_not_in_the_api_schema(client: AppClient) -> None:
    schema = (await client.get("/api/docs/openapi.json")).json()
    assert "/metrics" not in schema["paths"]
    assert "/health" in schema["paths"]


async def test_domain_metrics_are_exported(client: AppClient) -> None:
    before = await scrape(client)

    with streaming_metrics.active_stream():
        streaming_metrics.count_streamed_bytes(1024)
        during = await scrape(client)
    streaming_metrics.count_stream_token_issued()
    ingest_metrics.observe_upload_size(3 * 1024 * 1024)
    with ingest_metrics.time_ingest_step("probe"):
        pass
    with pytest.raises(RuntimeError), ingest_metrics.time_ingest_step("thumbnail"):
        raise RuntimeError("a failed step is timed too")
    after = await scrape(client)

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert delta("streamstack_streamed_bytes_total") == 1024
    active = ("streamstack_active_streams", ())
    assert during[active] == before[active] + 1
    assert after[active] == before[active]
    assert delta("streamstack_stream_tokens_issued_total") == 1
    assert delta("streamstack_upload_size_bytes_count") == 1
    assert delta("streamstack_upload_size_bytes_bucket", le=floatToGoString(10 * 1024 * 1024)) == 1
    assert delta("streamstack_upload_size_bytes_bucket", le=floatToGoString(1024 * 1024)) == 0
    assert delta("streamstack_ingest_step_duration_seconds_count", step="probe") == 1
    assert delta("streamstack_ingest_step_duration_seconds_count", step="thumbnail") == 1


async def test_outbox_backlog_is_read_at_scrape_time(client: AppClient) -> None:
    backlog = [7]

    async def read() -> int:
        if not backlog:
            raise ConnectionError("database down")
        return backlog[0]

    metrics.track_gauge(catalogue_metrics.OUTBOX_BACKLOG, read)
    try:
        assert (await scrape(client))[("streamstack_outbox_backlog", ())] == 7
        backlog[0] = 3
        assert (await scrape(client))[("streamstack_outbox_backlog", ())] == 3
        # A reader that fails leaves the last value and never fails the scrape.
        backlog.clear()
        assert (await scrape(client))[("streamstack_outbox_backlog", ())] == 3
    finally:
        metrics.untrack_gauge(catalogue_metrics.OUTBOX_BACKLOG)


async def test_every_module_process_serves_metrics(tmp_path: Path) -> None:
    for module in ("auth", "catalogue", "streaming", "ingest"):
        settings = make_settings(
            "embedded", tmp_path / module, modules=(module,), **_other_module_urls(module)
        )
        async with running_app(settings) as client:
            await client.get("/ready")
            samples = await scrape(client)
            assert any(
                name == "streamstack_requests_total" and dict(labels)["app_name"] == module
                for name, labels in samples
            ), module


def test_a_process_exports_only_the_scraped_gauges_of_its_mounted_modules(
    tmp_path: Path,
) -> None:
    # Every service's /metrics carried ingest's and catalogue's gauges at 0: every process
    # imports every module's definition. A fresh interpreter: this one has mounted them all.
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from prometheus_client import REGISTRY, generate_latest
        from streamstack.app import create_app
        from support.apps import make_settings

        module, data = sys.argv[1], sys.argv[2]
        others = {f"{o}_url": "http://127.0.0.1:9" for o in ("auth", "catalogue", "ingest")}
        others.pop(f"{module}_url", None)
        settings = make_settings("embedded", Path(data), modules=(module,), **others)
        create_app(settings)
        print(generate_latest(REGISTRY).decode())
        """
    )
    tests = Path(__file__).resolve().parents[1]
    exported = {}
    for module in ("streaming", "ingest"):
        done = subprocess.run(
            [sys.executable, "-c", script, module, str(tmp_path / module)],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(tests)},
            timeout=120,
            check=True,
        )
        exported[module] = done.stdout
    for gauge in ("streamstack_uploads_unfinished ", "streamstack_ingest_unqueued_jobs "):
        assert gauge not in exported["streaming"]
        assert gauge in exported["ingest"]
    assert "streamstack_outbox_backlog" not in exported["streaming"] + exported["ingest"]


def _other_module_urls(module: str) -> dict[str, str]:
    return {
        f"{other}_url": "http://127.0.0.1:9"
        for other in ("auth", "catalogue", "streaming", "ingest")
        if other != module
    }


async def test_dashboard_charts_every_metric_and_only_exported_ones(
    client: AppClient,
) -> None:
    dashboard = json.loads((COMPOSE_DIR / "grafana-dashboard.json").read_text())
    assert dashboard["__inputs"][0]["name"] == "DS_PROMETHEUS"  # Grafana's import asks for it
    await client.get("/ready")
    ingest_metrics.observe_upload_size(1)
    with ingest_metrics.time_ingest_step("store"):
        pass
    JOBS_SETTLED.labels(queue="media", outcome="processed")  # a worker's first settled job
    exported = {name for name, _ in await scrape(client)}
    exprs = " ".join(
        target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])
    )
    charted = set(re.findall(r"\bstreamstack_[a-z_]+", exprs))
    assert charted <= exported, f"the dashboard charts {sorted(charted - exported)}"
    for family in (
        "streamstack_requests_total",
        "streamstack_request_duration_seconds_bucket",
        "streamstack_streamed_bytes_total",
        "streamstack_active_streams",
        "streamstack_stream_tokens_issued_total",
        "streamstack_upload_size_bytes_bucket",
        "streamstack_ingest_step_duration_seconds_bucket",
        "streamstack_outbox_backlog",
        "streamstack_job_backlog",
        "streamstack_job_workers",
        "streamstack_jobs_settled_total",
        "streamstack_catalogue_failed_items",
        "streamstack_ingest_unqueued_jobs",
        "streamstack_auth_refusals_total",
    ):
        assert family in charted, family
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
