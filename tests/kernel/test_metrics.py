"""Request metrics kept by the request-id middleware: counted per route template and status,
errors apart, and the requests in progress counted at each scrape.

A stand-in module (mounted as "catalogue") has a route that waits until the test lets it
finish, and one that fails.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Router, get
from prometheus_client.parser import text_string_to_metric_families

from streamstack.kernel.module import ModuleContext, ModuleDefinition, MountedModule
from support.apps import AppClient, make_settings, running_app
from support.waiting import eventually

APP_NAME = "catalogue"
SLOW = "/api/v1/stand-in/slow/{name:str}"
FAILING = "/api/v1/stand-in/failing"


class Gate:
    """Holds the slow route's requests until opened."""

    def __init__(self) -> None:
        self.entered = 0
        self.open = asyncio.Event()


def stand_in(gate: Gate) -> dict[str, ModuleDefinition]:
    def mount(_: ModuleContext) -> MountedModule:
        @get(SLOW)
        async def slow(name: str) -> str:
            gate.entered += 1
            await gate.open.wait()
            return name

        @get(FAILING)
        async def failing() -> str:
            raise RuntimeError("a bug")

        return MountedModule("catalogue", [Router("/", route_handlers=[slow, failing])])

    return {"catalogue": ModuleDefinition("catalogue", mount)}


async def samples(client: AppClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if sample.labels.get("app_name") == APP_NAME
    }


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    labels = {"app_name": APP_NAME, **labels}
    return found.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[tuple[AppClient, Gate]]:
    gate = Gate()
    settings = make_settings("embedded", tmp_path, modules=["catalogue"])
    async with running_app(settings, stand_in(gate)) as running:
        yield running, gate


async def test_requests_in_progress_are_counted_at_the_scrape(
    client: tuple[AppClient, Gate],
) -> None:
    app, gate = client
    template = "/api/v1/stand-in/slow/{name}"
    labels = {"method": "GET", "path": template, "status_code": "200"}
    waiting = [asyncio.create_task(app.get(f"/api/v1/stand-in/slow/{n}")) for n in "ab"]
    await eventually(lambda: gate.entered == 2, "both requests inside the route")
    during = await samples(app)
    gate.open.set()
    assert [r.status_code for r in await asyncio.gather(*waiting)] == [200, 200]
    after = await samples(app)

    assert value(during, "streamstack_requests_in_progress", **labels) == 2
    assert value(after, "streamstack_requests_in_progress", **labels) == 0
    assert value(during, "streamstack_requests_total", **labels) == 0
    assert value(after, "streamstack_requests_total", **labels) == 2
    assert value(after, "streamstack_request_duration_seconds_count", **labels) == 2
    # The path of each request never becomes a label: its template does.
    assert not any(dict(labels)["path"].endswith("/a") for _, labels in after)


async def test_server_errors_are_counted_apart_and_unknown_routes_not_at_all(
    client: tuple[AppClient, Gate],
) -> None:
    app, _ = client
    before = await samples(app)
    assert (await app.get(FAILING)).status_code == 500
    assert (await app.get("/api/v1/stand-in/nowhere")).status_code == 404
    assert (await app.post(FAILING)).status_code == 405
    after = await samples(app)

    labels = {"method": "GET", "path": FAILING, "status_code": "500"}
    for name in ("streamstack_requests_total", "streamstack_requests_error_total"):
        assert value(after, name, **labels) == value(before, name, **labels) + 1
    # The registry is the process's: other apps of this session may have samples too.
    changed = {key for key, count in after.items() if count != before.get(key)}
    paths = {dict(labels)["path"] for name, labels in changed if name.startswith("streamstack_req")}
    assert paths == {FAILING}
