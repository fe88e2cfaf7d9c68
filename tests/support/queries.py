"""The SQL statements a test's requests run, to bound a path's round trips."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from support.apps import AppClient


@contextmanager
def counting_queries(client: AppClient) -> Iterator[list[str]]:
    """The SQL statements the block's requests run on the app's engine.

    The in-process client serves a request in the task that sends it, so a statement run
    in that task is the request's. The app's background loops share the engine (the
    outbox relay polls every 5 s): a poll landing inside a slow request on a loaded
    machine made a page count two statements. They run in tasks of their own.
    """
    statements: list[str] = []
    engine = client.app.state.backends.database.engine.sync_engine
    requests = asyncio.current_task()

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if asyncio.current_task() is requests:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
