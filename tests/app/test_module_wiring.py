"""The kernel's wiring primitives: dependencies, background tasks, units of work.

A stand-in module (mounted as "catalogue") uses each of them the way the real modules do.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from litestar import Router, get
from litestar.di import NamedDependency
from sqlalchemy import text

from streamstack.app import create_app, module_definitions
from streamstack.kernel.db import Database, DatabaseUnavailable
from streamstack.kernel.dependencies import CALLER, provide_values
from streamstack.kernel.guards import Principal
from streamstack.kernel.headers import SecurityHeadersMiddleware
from streamstack.kernel.logging import RequestIdMiddleware, redact
from streamstack.kernel.module import ModuleContext, ModuleDefinition, MountedModule
from streamstack.kernel.tasks import BackgroundTask
from streamstack.settings import MODULE_NAMES
from support.apps import bearer, make_settings, mint_token, running_app
from support.waiting import eventually


class Counter:
    """A step that counts its runs; it fails while ``failing`` and says "more" ``more`` times."""

    def __init__(self, more: int = 0) -> None:
        self.runs = 0
        self.more = more
        self.failing = False
        self.reached = asyncio.Event()
        self.target = 1
        self.task: BackgroundTask | None = None

    async def step(self) -> bool:
        self.runs += 1
        if self.runs >= self.target:
            self.reached.set()
        if self.failing:
            raise RuntimeError("bus down")
        if self.more:
            self.more -= 1
            return True
        return False


def stand_in(counter: Counter) -> dict[str, ModuleDefinition]:
    def mount(ctx: ModuleContext) -> MountedModule:
        task = BackgroundTask(
            "stand-in.count", counter.step, interval_seconds=3600, retry_min_seconds=3600
        )
        counter.task = task

        @get("/api/v1/stand-in/greeting")
        async def greeting(
            word: NamedDependency[str], principal: NamedDependency[Principal]
        ) -> str:
            return f"{word}, {principal.user_id}"

        router = Router(
            "/", route_handlers=[greeting], dependencies={**provide_values(word="hello"), **CALLER}
        )
        return MountedModule("catalogue", [router], tasks=[task])

    return {"catalogue": ModuleDefinition("catalogue", mount)}


async def test_a_task_runs_from_start_up_and_is_reported_by_ready(tmp_path: Path) -> None:
    counter = Counter(more=3)
    counter.target = 4  # "more is waiting" three times: four runs without any interval
    settings = make_settings("embedded", tmp_path, modules=["catalogue"])
    async with running_app(settings, stand_in(counter)) as client:
        await eventually(counter.reached.is_set, "the task running its rounds")
        ready = await client.get("/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["task:stand-in.count"] == "ok"

        counter.failing, counter.reached = True, asyncio.Event()
        counter.target = counter.runs + 1
        task = counter.task
        assert task is not None
        task.wake()
        await eventually(counter.reached.is_set, "the task running its rounds")
        await asyncio.sleep(0)  # let the loop record the failure
        failing = await client.get("/ready")
        assert failing.status_code == 503
        assert "task:stand-in.count" in failing.json()["detail"]
        assert "bus down" in failing.json()["checks"]["task:stand-in.count"]
    assert not task.running  # stopped at shut-down


async def test_dependencies_reach_handlers_with_the_caller(tmp_path: Path) -> None:
    settings = make_settings("embedded", tmp_path, modules=["catalogue"])
    async with running_app(settings, stand_in(Counter())) as client:
        token = mint_token(settings, user_id="u-1")
        r = await client.get("/api/v1/stand-in/greeting", headers=bearer(token))
        assert r.status_code == 200, r.text
        assert r.text == "hello, u-1"
        assert (await client.get("/api/v1/stand-in/greeting")).status_code == 401


async def test_a_unit_of_work_commits_or_rolls_back_as_one(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'uow.sqlite3'}")
    try:
        async with database.unit_of_work() as session:
            await session.execute(text("CREATE TABLE t (v INTEGER)"))
            await session.execute(text("INSERT INTO t VALUES (1)"))

        async def failing_half_way() -> None:
            async with database.unit_of_work() as session:
                await session.execute(text("INSERT INTO t VALUES (2)"))
                raise RuntimeError("the use case failed half-way")

        with pytest.raises(RuntimeError):
            await failing_half_way()
        async with database.session() as session:
            assert (await session.scalars(text("SELECT v FROM t"))).all() == [1]
    finally:
        await database.close()


async def test_a_unit_of_work_on_an_unreachable_database_is_503() -> None:
    database = Database("postgresql+asyncpg://nobody:nothing@127.0.0.1:9/none")

    async def select_one() -> None:
        async with database.unit_of_work() as session:
            await session.execute(text("SELECT 1"))

    try:
        with pytest.raises(DatabaseUnavailable) as caught:
            await select_one()
        assert caught.value.status == 503
    finally:
        await database.close()


def test_the_app_finds_each_module_in_its_module_py() -> None:
    definitions: dict[str, Any] = module_definitions()
    assert sorted(definitions) == sorted(MODULE_NAMES)
    for name, definition in definitions.items():
        assert definition.name == name


def test_a_module_s_log_redaction_hides_its_secret_in_the_access_log(tmp_path: Path) -> None:
    settings = make_settings("embedded", tmp_path, modules=["streaming"])
    app = create_app(settings, {"streaming": module_definitions()["streaming"]})
    outer = app.asgi_handler
    assert isinstance(outer, SecurityHeadersMiddleware)
    middleware = outer.app
    assert isinstance(middleware, RequestIdMiddleware)
    secret = "s3cr3t-token-abcdefghijklmnopqrstuvwxyz"
    assert redact(f"/api/v1/stream/{secret}", middleware.redactions) == "/api/v1/stream/[token]"
    thumbnail = "/api/v1/stream/thumbnails/0b5c.jpg"  # public: kept as it is
    assert redact(thumbnail, middleware.redactions) == thumbnail
    assert redact(f"/api/v1/nowhere/{secret}", middleware.redactions).endswith(secret)


def test_a_share_link_s_secret_stays_out_of_the_access_log(tmp_path: Path) -> None:
    settings = make_settings("embedded", tmp_path, modules=["catalogue"])
    app = create_app(settings, {"catalogue": module_definitions()["catalogue"]})
    outer = app.asgi_handler
    assert isinstance(outer, SecurityHeadersMiddleware)
    middleware = outer.app
    assert isinstance(middleware, RequestIdMiddleware)
    secret = "Kf3-vQ_ab" * 4 + "Zx9q0q0"
    shared = f"/api/v1/catalogue/shared/{secret}"
    assert redact(shared, middleware.redactions) == "/api/v1/catalogue/shared/[secret]"
    assert redact(f"{shared}/stream-token", middleware.redactions).endswith("[secret]/stream-token")
    assert redact(f"/s/{secret}", middleware.redactions) == "/s/[secret]"
    assert redact(f"/embed/s/{secret}?t=3", middleware.redactions) == "/embed/s/[secret]?t=3"
    assert redact("/watch/s/abc", middleware.redactions) == "/watch/s/abc"  # only the SPA's /s/
