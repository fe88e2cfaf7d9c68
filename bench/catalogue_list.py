"""Item 3: the catalogue's list (a page of 24 out of 10,000 items) ÷ a hello-world JSON route.

The hello-world route is the app's own ``GET /health`` (a constant msgspec struct), in the
same process, so the ratio is what listing costs over the framework's floor. Measured on
both relational backends: SQLite (the embedded store) and PostgreSQL; each for the first
page and for random pages across the whole catalogue.

The 10,000 published items are inserted in bulk with the catalogue's own tables and
derivations (``title_key``, ``search_text``, normalised tags), after ``streamstack migrate``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import uuid
from pathlib import Path

import httpx
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine

from bench.load import WrkResult, run_wrk
from bench.plan import BenchPlan
from bench.processes import BenchKeys, Service, harness_server
from bench.report import BenchReport, Quantity, Row
from streamstack.catalogue.models import MediaItemRow, MediaTagRow
from streamstack.catalogue.service import normalize_tags, search_text, title_key

NAME = "catalogue_list"
ITEMS = 10_000
PAGE_SIZE = 24
SECONDS = 15.0
CONNECTIONS = 16
TAGS = ["drama", "comedy", "news", "sport", "music", "travel", "science", "kids"]


async def seed(database_url: str, count: int = ITEMS) -> None:
    """``count`` published items with two tags each, in a few bulk inserts."""
    engine = create_async_engine(database_url)
    start = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    items, tags = [], []
    for index in range(count):
        item_id = uuid.uuid4()
        title = f"Bench video {index:05d}"
        description = f"Generated item {index} for the catalogue list benchmark."
        item_tags = normalize_tags([TAGS[index % len(TAGS)], TAGS[(index * 3 + 1) % len(TAGS)]])
        when = start + datetime.timedelta(minutes=index)
        items.append(
            {
                "id": item_id,
                "title": title,
                "title_key": title_key(title),
                "description": description,
                "status": "published",
                "s3_key": f"{item_id}.mp4",
                "size_bytes": 10_000_000 + index,
                "content_type": "video/mp4",
                "duration_seconds": 60.0 + index % 3600,
                "video_codec": "h264",
                "audio_codec": "aac",
                "width": 1920,
                "height": 1080,
                "fps": 25.0,
                "thumbnail_s3_key": f"{item_id}.jpg",
                "search_text": search_text(title, description, item_tags),
                "created_by": "bench",
                "created_at": when,
                "updated_at": when,
                "published_at": when,
            }
        )
        tags += [{"media_id": item_id, "tag": tag} for tag in item_tags]
    try:
        async with engine.begin() as conn:
            for begin in range(0, len(items), 1000):
                await conn.execute(insert(MediaItemRow), items[begin : begin + 1000])
            for begin in range(0, len(tags), 2000):
                await conn.execute(insert(MediaTagRow), tags[begin : begin + 2000])
    finally:
        await engine.dispose()


def check_page(url: str) -> None:
    page = httpx.get(url, timeout=10).json()
    if page["total"] != ITEMS or len(page["items"]) != PAGE_SIZE:
        raise RuntimeError(f"unexpected page: total {page['total']}, {len(page['items'])} items")


def measure(url: str, seconds: float, *, pages: int | None = None) -> WrkResult:
    if pages is None:
        return run_wrk(url, script="get.lua", seconds=seconds, connections=CONNECTIONS)
    return run_wrk(
        url,
        script="pages.lua",
        seconds=seconds,
        connections=CONNECTIONS,
        env={"BENCH_PAGES": str(pages), "BENCH_QUERY": f"page_size={PAGE_SIZE}"},
    )


def measure_backend(service: Service, seconds: float) -> dict[str, WrkResult]:
    """/health, the first page, random pages; each run once to warm up, then measured."""
    listing = f"{service.url}/api/v1/catalogue/"
    check_page(f"{listing}?page_size={PAGE_SIZE}")
    pages = -(-ITEMS // PAGE_SIZE)
    runs = {
        "hello": lambda s: measure(f"{service.url}/health", s),
        "first_page": lambda s: measure(f"{listing}?page_size={PAGE_SIZE}", s),
        "random_page": lambda s: measure(listing, s, pages=pages),
    }
    for run_once in runs.values():
        run_once(1)
    return {name: run_once(seconds) for name, run_once in runs.items()}


def sqlite_service(workdir: Path, keys: BenchKeys) -> Service:
    service = Service("catalogue-sqlite", workdir, keys, modules=("catalogue",))
    service.migrate()
    asyncio.run(seed(f"sqlite+aiosqlite:///{service.data_dir / 'streamstack.sqlite3'}"))
    return service


def postgres_service(workdir: Path, keys: BenchKeys, postgres: object) -> Service:
    url = postgres.create_database("bench_catalogue")  # type: ignore[attr-defined]
    service = Service(
        "catalogue-postgres",
        workdir,
        keys,
        modules=("catalogue",),
        settings={"STREAMSTACK_DATABASE_URL": url},
    )
    service.migrate()
    asyncio.run(seed(url))
    return service


def run(plan: BenchPlan) -> BenchReport:
    workdir = plan.scratch(NAME)
    seconds = plan.seconds(SECONDS)
    keys = BenchKeys(workdir / "keys")
    report = BenchReport(
        NAME,
        f"3. Catalogue list, page of {PAGE_SIZE} of {ITEMS:,} items ÷ hello-world JSON "
        f"(/health) in the same process, {seconds:g} s per row",
        f"wrk (Debian) -t2 -c{CONNECTIONS}; lua/get.lua, lua/pages.lua (random pages)",
    )
    results: dict[str, dict[str, WrkResult]] = {}
    with sqlite_service(workdir, keys) as service:
        results["sqlite"] = measure_backend(service, seconds)
    with contextlib.ExitStack() as stack:
        postgres = stack.enter_context(harness_server("postgres", workdir))
        service = stack.enter_context(postgres_service(workdir, keys, postgres))
        results["postgres"] = measure_backend(service, seconds)
    for backend, label in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        hello = Quantity("/health", results[backend]["hello"].requests_per_second, "req/s")
        for page, text in (("first_page", "page 1"), ("random_page", "random pages")):
            report.rows.append(
                Row(
                    f"{label}: list {text} ÷ /health",
                    Quantity("list", results[backend][page].requests_per_second, "req/s"),
                    hello,
                )
            )
    for backend, runs in results.items():
        for name, result in runs.items():
            if result.error_count:
                report.notes.append(f"{backend} {name}: errors {result.errors}")
    report.notes.append(
        "one `streamstack serve --module catalogue` process (uvicorn, 1 worker, JSON "
        "request logs to a file); sort newest first, anonymous caller (published items)"
    )
    report.raw = {
        backend: {name: result.as_json() for name, result in runs.items()}
        for backend, runs in results.items()
    }
    return report
