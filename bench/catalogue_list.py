"""Item 3 / issue 15.4 and 15.5: the catalogue's list and search against a hello-world JSON route.

The hello-world route is the app's own ``GET /health`` (a constant msgspec struct), in the
same process, so the ratio is what listing costs over the framework's floor. Measured on
both relational backends: SQLite (the embedded store) and PostgreSQL. Rows:
- anonymous page of 24 of 10,000 (first page; random pages) ÷ /health — goal ≥ 0.3
  (viewers' pages come from the cache the catalogue's events clear);
- an admin's page of every item, drafts included (never cached: one statement per
  request, plus the token's revocation lookup) ÷ /health — goal ≥ 0.07;
- an admin's search with a typo ("glaicer") ÷ an admin's list page, both uncached, at
  100,000 items (``--quick``: at 10,000) — goal ≥ 0.5;
- an item's related items (Up next), anonymous and for a signed-in viewer, ÷ the same
  list page — goal ≥ 0.2 (one per watch page);
- the costliest searches as ONE client asks them (one connection, as an admin: uncached,
  never budgeted) ÷ an admin's list page on one connection: two six-letter words no item
  holds together ("castle winter": each has trigram pieces since this row was added; it
  read every item on SQLite before); a five-letter word no item holds ("xyzzy": its typo
  variants ``xy?zy`` hold no trigram, so every item is read) and two words every item
  holds ("bench video": the ranked tier is read whole); one word every title holds whole
  ("video": its tier is walked) and one every title holds as part of a word, none whole
  ("ideo": the whole-word tier is read through the index and found empty before the
  part-of-a-word tier is walked). No goal: what no index narrows
  is bounded by the per-address search budget for anonymous callers. One
  connection, measured apart: 16 connections of such searches left the server a backlog
  that ran into the next row's seconds (its list page fell from hundreds to 6 req/s).

The 10,000 published items are inserted in bulk with the catalogue's own tables and
derivations (``title_key``, ``search_text``, normalised tags), after ``streamstack migrate``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import sqlalchemy
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine

from bench.load import WrkResult, run_wrk
from bench.plan import BenchPlan
from bench.processes import BenchKeys, Service, harness_server
from bench.report import BenchReport, Quantity, Row
from streamstack.catalogue.items import derived_columns, normalize_tags
from streamstack.catalogue.models import MediaItemRow, MediaTagRow

NAME = "catalogue_list"
ITEMS = 10_000
#: Drafts beside the published items: admins list them, viewers never see them.
DRAFTS = 1_000
#: Catalogue size of the search row (``--quick``: the list's size).
SEARCH_ITEMS = 100_000
#: What is searched: "glacier" with two letters swapped, one typo.
SEARCH = "glaicer"
#: Description words; each item gets a few, so a word is in a few percent of the items.
WORDS = [
    "glacier",
    "river",
    "forest",
    "mountain",
    "desert",
    "ocean",
    "harbour",
    "village",
    "market",
    "festival",
    "train",
    "bridge",
    "castle",
    "garden",
    "island",
    "canyon",
    "volcano",
    "meadow",
    "lighthouse",
    "waterfall",
    "winter",
    "summer",
    "autumn",
    "spring",
    "sunrise",
    "sunset",
    "storm",
    "thunder",
    "snowfall",
    "rainbow",
]
#: The costliest searches: their names in the report, and what is searched.
COSTLY = {
    "search_pair": "castle winter",
    "search_nothing": "xyzzy",
    "search_everywhere": "bench video",
    "search_whole_word": "video",
    "search_part_word": "ideo",
}
PAGE_SIZE = 24
#: Related items asked for (the watch page's Up next list).
RELATED = 8
SECONDS = 15.0
#: Rounds each row's seconds are split into, alternating between the rows.
ROUNDS = 3
CONNECTIONS = 16
TAGS = ["drama", "comedy", "news", "sport", "music", "travel", "science", "kids"]


async def seed(database_url: str, count: int = ITEMS, *, first: int = 0, drafts: int = 0) -> None:
    """``count`` published items (numbered from ``first``) and ``drafts`` drafts, two tags
    each, in a few bulk inserts."""
    engine = create_async_engine(database_url)
    start = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    items, tags = [], []
    for index in range(first, first + count + drafts):
        item_id = uuid.uuid4()
        published = index < first + count
        title = f"Bench video {index:06d}"
        words = " ".join(WORDS[(index * k) % len(WORDS)] for k in (1, 7, 13))
        description = f"Generated item {index}: {words}."
        item_tags = normalize_tags([TAGS[index % len(TAGS)], TAGS[(index * 3 + 1) % len(TAGS)]])
        when = start + datetime.timedelta(minutes=index)
        items.append(
            {
                "id": item_id,
                "title": title,
                "description": description,
                "status": "published" if published else "draft",
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
                **derived_columns(title, description, item_tags),
                "created_by": "bench",
                "created_at": when,
                "updated_at": when,
                "published_at": when if published else None,
            }
        )
        tags += [{"media_id": item_id, "tag": tag} for tag in item_tags]
    try:
        async with engine.begin() as conn:
            for begin in range(0, len(items), 1000):
                await conn.execute(insert(MediaItemRow), items[begin : begin + 1000])
            for begin in range(0, len(tags), 2000):
                await conn.execute(insert(MediaTagRow), tags[begin : begin + 2000])
        if engine.dialect.name == "postgresql":
            # What autovacuum does within a minute of a bulk load, as a running catalogue
            # has it: statistics (without them the planner takes the fresh tables for
            # empty ones) and the visibility map (index-only scans need it).
            async with engine.connect() as conn:
                autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(sqlalchemy.text("VACUUM ANALYZE media_items, media_tags"))
    finally:
        await engine.dispose()


def check_page(url: str) -> None:
    page = httpx.get(url, timeout=10).json()
    if page["total"] != ITEMS or len(page["items"]) != PAGE_SIZE:
        raise RuntimeError(f"unexpected page: total {page['total']}, {len(page['items'])} items")


def measure(
    url: str,
    seconds: float,
    *,
    pages: int | None = None,
    token: str | None = None,
    connections: int = CONNECTIONS,
) -> WrkResult:
    """wrk on ``url``: as is, at random pages 1..``pages``, or with a bearer ``token``
    (on ``connections`` connections)."""
    if token is not None:
        env = {"BENCH_TOKEN": token}
        return run_wrk(
            url, script="get_authorized.lua", seconds=seconds, connections=connections, env=env
        )
    if pages is None:
        return run_wrk(url, script="get.lua", seconds=seconds, connections=CONNECTIONS)
    return run_wrk(
        url,
        script="pages.lua",
        seconds=seconds,
        connections=CONNECTIONS,
        env={"BENCH_PAGES": str(pages), "BENCH_QUERY": f"page_size={PAGE_SIZE}"},
    )


def measured(runs: dict[str, Callable[[float], WrkResult]], seconds: float) -> dict[str, WrkResult]:
    """Each run once for a second to warm up (and fill the cache), then measured in
    :data:`ROUNDS` alternating rounds, so that a ratio's two sides see the same neighbours
    (one after the other, a row and its /health were measured up to a minute apart)."""
    for run_once in runs.values():
        run_once(1)
    rounds = ROUNDS if seconds >= ROUNDS else 1
    parts: dict[str, list[WrkResult]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run_once in runs.items():
            parts[name].append(run_once(seconds / rounds))
    return {name: merged(results) for name, results in parts.items()}


def merged(results: list[WrkResult]) -> WrkResult:
    """The rounds of one run as one: their requests over their seconds (the latencies are
    kept per round; no row here uses them)."""
    if len(results) == 1:
        return results[0]
    errors: dict[str, int] = {}
    for result in results:
        for kind, count in result.errors.items():
            errors[kind] = errors.get(kind, 0) + count
    return WrkResult(
        seconds=sum(r.seconds for r in results),
        requests=sum(r.requests for r in results),
        bytes=sum(r.bytes for r in results),
        errors=errors,
        latency_us={"rounds": [r.latency_us for r in results]},
    )


def measure_lists(service: Service, seconds: float, token: str) -> dict[str, WrkResult]:
    """/health, the anonymous first page and random pages, the admin's page of all items."""
    listing = f"{service.url}/api/v1/catalogue/"
    check_page(f"{listing}?page_size={PAGE_SIZE}")
    pages = -(-ITEMS // PAGE_SIZE)
    admin = f"{listing}?page_size={PAGE_SIZE}&status=all"
    return measured(
        {
            "hello": lambda s: measure(f"{service.url}/health", s),
            "first_page": lambda s: measure(f"{listing}?page_size={PAGE_SIZE}", s),
            "random_page": lambda s: measure(listing, s, pages=pages),
            "admin_page": lambda s: measure(admin, s, token=token),
        },
        seconds,
    )


def measure_search(
    service: Service, seconds: float, token: str, viewer: str
) -> dict[str, WrkResult]:
    """An admin's (uncached) list page, search page and an item's related items (for
    anyone, and for a signed-in viewer) at the same catalogue size."""
    listing = f"{service.url}/api/v1/catalogue/?page_size={PAGE_SIZE}"
    found = httpx.get(
        f"{listing}&q={SEARCH}", headers={"Authorization": f"Bearer {token}"}, timeout=30
    ).json()
    if not found["items"] or "glacier" not in found["items"][0]["description"]:
        raise RuntimeError(f"the search found nothing for {SEARCH!r}: {found}")
    item = found["items"][0]["id"]
    related = f"{service.url}/api/v1/catalogue/{item}/related"
    offered = httpx.get(related, timeout=30).json()["items"]
    if len(offered) != RELATED or not set(offered[0]["tags"]) & set(found["items"][0]["tags"]):
        raise RuntimeError(f"related items share no tag: {offered}")
    return measured(
        {
            "admin_list": lambda s: measure(listing, s, token=token),
            "admin_search": lambda s: measure(f"{listing}&q={SEARCH}", s, token=token),
            "related": lambda s: measure(related, s),
            "related_viewer": lambda s: measure(related, s, token=viewer),
        },
        seconds,
    )


def measure_costly(service: Service, seconds: float, token: str) -> dict[str, WrkResult]:
    """The :data:`COSTLY` searches and an admin's list page, each by one client."""
    listing = f"{service.url}/api/v1/catalogue/?page_size={PAGE_SIZE}"

    def one_client(url: str) -> Callable[[float], WrkResult]:
        return lambda s: measure(url, s, token=token, connections=1)

    runs = {"admin_list_one": one_client(listing)}
    for name, q in COSTLY.items():
        runs[name] = one_client(f"{listing}&q={q.replace(' ', '+')}")
    return measured(runs, seconds)


def measure_backend(
    service: Service, url: str, seconds: float, tokens: tuple[str, str], *, quick: bool
) -> dict[str, WrkResult]:
    """The list rows at 10,000 items, then the search and related rows (at 100,000 unless
    quick); ``tokens``: an admin's and a viewer's."""
    admin, viewer = tokens
    results = measure_lists(service, seconds, admin)
    if not quick:
        asyncio.run(seed(url, SEARCH_ITEMS - ITEMS, first=ITEMS + DRAFTS))
    results.update(measure_search(service, seconds, admin, viewer))
    return {**results, **measure_costly(service, seconds, admin)}


def sqlite_service(workdir: Path, keys: BenchKeys) -> tuple[Service, str]:
    # The embedded backends (SQLite, in-process bus and KV) are dev mode's.
    service = Service(
        "catalogue-sqlite",
        workdir,
        keys,
        modules=("catalogue",),
        settings={"STREAMSTACK_ENVIRONMENT": "dev"},
    )
    service.migrate()
    url = f"sqlite+aiosqlite:///{service.data_dir / 'streamstack.sqlite3'}"
    asyncio.run(seed(url, drafts=DRAFTS))
    return service, url


def postgres_service(
    workdir: Path, keys: BenchKeys, postgres: object, nats_url: str
) -> tuple[Service, str]:
    url = postgres.create_database("bench_catalogue")  # type: ignore[attr-defined]
    service = Service(
        "catalogue-postgres",
        workdir,
        keys,
        modules=("catalogue",),
        settings={"STREAMSTACK_DATABASE_URL": url, "STREAMSTACK_NATS_URL": nats_url},
    )
    service.migrate()
    asyncio.run(seed(url, drafts=DRAFTS))
    return service, url


def rows(report: BenchReport, results: dict[str, dict[str, WrkResult]], quick: bool) -> None:
    """The report's rows, per backend."""
    size = f"{ITEMS:,}" if quick else f"{SEARCH_ITEMS:,}"
    for backend, label in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        runs = results[backend]
        hello = Quantity("/health", runs["hello"].requests_per_second, "req/s")
        for name, text in (
            ("first_page", "anonymous page 1 (goal ≥ 0.3)"),
            ("random_page", "anonymous random pages (goal ≥ 0.3)"),
            ("admin_page", "admin, all items, uncached (goal ≥ 0.07)"),
        ):
            value = Quantity("list", runs[name].requests_per_second, "req/s")
            report.rows.append(Row(f"{label}: {text} ÷ /health", value, hello))
        listed = Quantity("list", runs["admin_list"].requests_per_second, "req/s")
        # Related items are read once per watch page, beside the item and its stream token:
        # at most five list pages' worth of work.
        for name, text, goal in (
            ("admin_search", f"search {SEARCH!r} ÷ list page, admin", 0.5),
            ("related", "related items, anonymous ÷ list page, admin", 0.2),
            ("related_viewer", "related items, signed-in viewer ÷ list page, admin", 0.2),
        ):
            value = Quantity(name.split("_")[0], runs[name].requests_per_second, "req/s")
            row = f"{label}: {text}, {size} items (goal ≥ {goal})"
            report.rows.append(Row(row, value, listed))
        one = Quantity("list", runs["admin_list_one"].requests_per_second, "req/s")
        for name, q in COSTLY.items():
            goal = "no goal" if name == "search_pair" else "no goal: budgeted per address"
            value = Quantity("search", runs[name].requests_per_second, "req/s")
            row = f"{label}: search {q!r} ÷ list page, one client, admin, {size} items ({goal})"
            report.rows.append(Row(row, value, one))


def run(plan: BenchPlan) -> BenchReport:
    workdir = plan.scratch(NAME)
    seconds = plan.seconds(SECONDS)
    keys = BenchKeys(workdir / "keys")
    tokens = keys.access_token(role="admin"), keys.access_token(user_id=str(uuid.uuid4()))
    report = BenchReport(
        NAME,
        f"3. Catalogue list, page of {PAGE_SIZE} of {ITEMS:,} items (+{DRAFTS:,} drafts) ÷ "
        f"hello-world JSON (/health) in the same process; search ÷ list; {seconds:g} s per row "
        f"in {ROUNDS} alternating rounds",
        f"wrk (Debian) -t2 -c{CONNECTIONS}; lua/get.lua, lua/pages.lua (random pages), "
        "lua/get_authorized.lua (admin)",
    )
    results: dict[str, dict[str, WrkResult]] = {}
    service, url = sqlite_service(workdir, keys)
    with service:
        results["sqlite"] = measure_backend(service, url, seconds, tokens, quick=plan.quick)
    with contextlib.ExitStack() as stack:
        postgres = stack.enter_context(harness_server("postgres", workdir))
        nats = stack.enter_context(harness_server("nats", workdir))
        service, url = postgres_service(workdir, keys, postgres, nats.url)
        stack.enter_context(service)
        results["postgres"] = measure_backend(service, url, seconds, tokens, quick=plan.quick)
    rows(report, results, plan.quick)
    for backend, runs in results.items():
        for name, result in runs.items():
            if result.error_count:
                report.notes.append(f"{backend} {name}: errors {result.errors}")
    report.notes.append(
        "one `streamstack serve --module catalogue` process (uvicorn, 1 worker, JSON "
        "request logs to a file): SQLite in dev mode (embedded bus and KV), PostgreSQL in "
        "production mode with NATS; sort newest first; anonymous pages are served from the "
        "list cache after the warm-up second; admin requests include the token's revocation "
        "lookup"
    )
    report.raw = {
        backend: {name: result.as_json() for name, result in runs.items()}
        for backend, runs in results.items()
    }
    return report
