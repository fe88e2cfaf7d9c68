"""Relational store: one async SQLAlchemy engine per process, and per-module migrations.

Postgres (asyncpg) in production, a SQLite file (aiosqlite) in dev. Each module keeps its
own alembic scripts in ``<module>/migrations`` and its own version table, so modules can
be migrated, and can evolve, independently.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import MetaData, Select, TableClause, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect, ExceptionContext
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import PoolResetState
from sqlalchemy.util import await_only

from streamstack.kernel.errors import ServiceUnavailable
from streamstack.kernel.readiness import PING_SECONDS
from streamstack.kernel.storage.private_files import private_file

log = structlog.get_logger(__name__)

#: Constraint and index names every module's tables get, so migrations can name them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def module_metadata() -> MetaData:
    """A fresh ``MetaData`` with the shared naming convention: one per module, so that
    each module's migrations cover its own tables only."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def upsert_insert(
    dialect: str, table: TableClause | type[Any]
) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into ``table`` (a table, or a model class) in ``dialect``'s own SQL, which
    takes ON CONFLICT: PostgreSQL's, else SQLite's (the two stores this runs on)."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def escape_like(text: str) -> str:
    """``text`` with LIKE wildcards escaped; use with ``.like(..., escape="\\")``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class DatabaseUnavailable(ServiceUnavailable, code="database_unavailable"):
    """The database did not answer."""


class DatabaseFull(DatabaseUnavailable, code="database_full"):
    """A write found the database's disk full: nothing was written, and it works again once
    space is freed (a 503, as for a database that did not answer, but naming the cause)."""


#: PostgreSQL's SQLSTATE 53100 disk_full ("could not extend file ...: No space left on device").
_DISK_FULL_SQLSTATE = "53100"


def _disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (a driver's error, or SQLAlchemy's wrapping one) says the disk is full:
    SQLite's SQLITE_FULL ("database or disk is full"), PostgreSQL's 53100, or ENOSPC."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(orig, OSError):
        return orig.errno in (errno.ENOSPC, errno.EDQUOT)
    return (
        getattr(orig, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
        or getattr(orig, "sqlstate", None) == _DISK_FULL_SQLSTATE
    )


#: SQLSTATE classes meaning "the server cannot serve you right now": connection exceptions
#: (08...) and operator intervention (57P01 shutting down, 57P02 crashed, 57P03 starting up).
_UNAVAILABLE_SQLSTATES = ("08", "57P")
#: PostgreSQL's SQLSTATE 57014 query_canceled: its statement_timeout ended the statement.
_CANCELED_SQLSTATE = "57014"


def _timed_out(exc: BaseException) -> bool:
    """Whether ``exc`` is a wait on the database that ran out of time: the driver's (for a
    statement or a connection), the pool's (for a free connection) or the server's own
    statement_timeout."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    cancelled = getattr(orig, "sqlstate", None) == _CANCELED_SQLSTATE
    return cancelled or isinstance(orig, TimeoutError | PoolTimeout)


def is_unavailable(exc: DBAPIError) -> bool:
    """Whether ``exc`` says the database is unreachable or restarting, not that a query failed."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return (
        exc.connection_invalidated
        or isinstance(exc, OperationalError)
        or isinstance(exc.orig, OSError)
        or (isinstance(sqlstate, str) and sqlstate.startswith(_UNAVAILABLE_SQLSTATES))
    )


def unavailable_error(exc: BaseException) -> DatabaseUnavailable | None:
    """The 503 for ``exc`` when it, or an exception it was raised from, says the database
    cannot serve: :class:`DatabaseFull` for a full disk (logged as a warning naming it, as
    the operator must free space, and nothing else says so), else
    :class:`DatabaseUnavailable` for a database that did not answer in time (logged as a
    warning too: a hung server refuses no connection, and nothing else says so) or is
    unreachable; None for any other failure."""
    seen: set[int] = set()
    current: BaseException | None = exc
    unreachable = False
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _disk_full(current):
            log.warning("database.disk_full", error=str(current).splitlines()[0])
            return DatabaseFull("the server's disk is full: free space on it, then try again")
        if _timed_out(current):
            log.warning("database.timeout", error=_first_line(current))
            return DatabaseUnavailable("the database did not answer in time")
        unreachable = unreachable or isinstance(current, OSError)
        unreachable = unreachable or (isinstance(current, DBAPIError) and is_unavailable(current))
        current = current.__cause__ or current.__context__
    return DatabaseUnavailable("the database is unavailable") if unreachable else None


@asynccontextmanager
async def unavailable_as_503() -> AsyncIterator[None]:
    """A database that cannot serve the block surfaces as its 503 (:func:`unavailable_error`)."""
    try:
        yield
    except DatabaseUnavailable:
        raise  # an inner block's, already named (and logged)
    except Exception as exc:
        # Repositories (advanced-alchemy) wrap driver errors in their own types: look
        # through the chain for the connection failure (or full disk) underneath.
        unavailable = unavailable_error(exc)
        if unavailable is not None:
            raise unavailable from exc
        raise


def _first_line(exc: BaseException) -> str:
    """The driver's message of ``exc`` (SQLAlchemy's wrapper adds the statement), or its
    class when it has none (a TimeoutError)."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    return next(iter(str(orig).splitlines()), "") or orig.__class__.__name__


#: A pooled PostgreSQL connection idle for longer than this is pinged before it is used.
IDLE_PING_SECONDS = 2.0
#: How long a new connection, or a wait for a pooled one, may take where no request waits
#: on it (migrations, the CLI's checks).
UNHURRIED_SECONDS = 5.0
#: SQLite's wait for its write lock there.
UNHURRIED_SQLITE_LOCK_SECONDS = 30.0


def create_engine(url: str, *, pool_size: int = 10, timeout: float | None = None) -> AsyncEngine:
    """An engine tuned for the backend: idle connections pinged on Postgres, WAL and FKs
    on SQLite.

    ``timeout`` bounds each wait of a request on the database: a statement, a new
    connection, a free pooled connection, SQLite's write lock; past it the request gets
    a 503. None (migrations, the CLI's checks): statements run as long as they take.
    """
    if url.startswith("sqlite"):
        private_file(Path(url.split("///", 1)[1]))  # password hashes: 0600 from the start
        # A pool as large as PostgreSQL's: past SQLAlchemy's default five, every request
        # opened a connection of its own (a thread, the file, three pragmas) and closed it.
        engine = create_async_engine(
            url,
            pool_size=2 * pool_size,
            max_overflow=0,
            connect_args={
                "timeout": timeout or UNHURRIED_SQLITE_LOCK_SECONDS,
                "factory": RollingBackSQLiteConnection,
            },
            pool_reset_on_return=None,  # _rollback_if_begun does it
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        event.listen(engine.sync_engine, "reset", _rollback_if_begun)
        return engine
    # As many connections at most as before (10 + 10 overflow), all kept: an overflow
    # connection is closed when it is returned, so under more than 10 concurrent requests
    # every request opened a connection (a server process forked, asyncpg's set-up) and
    # closed it again.
    engine = create_async_engine(
        url,
        pool_size=2 * pool_size,
        max_overflow=0,
        pool_timeout=timeout or UNHURRIED_SECONDS,
        connect_args={"timeout": timeout or UNHURRIED_SECONDS, **_statement_limits(timeout)},
    )
    _ping_idle_connections(engine)
    _drop_unanswered_connections(engine)
    return engine


def _statement_limits(timeout: float | None) -> dict[str, Any]:
    """asyncpg's connect arguments that end a statement running past ``timeout``.

    The server's statement_timeout ends it and frees the server, and the connection stays
    usable. A server that does not run (frozen, its host gone mid-statement) enforces
    nothing: the client's own timeout, a second later, ends the wait then.
    """
    if timeout is None:
        return {}
    milliseconds = str(round(timeout * 1000))
    return {"command_timeout": timeout + 1, "server_settings": {"statement_timeout": milliseconds}}


def _drop_unanswered_connections(engine: AsyncEngine) -> None:
    """Close at once the connection of a statement the server never answered (the client's
    timeout, not the server's): what it would say next is unknown, and SQLAlchemy's own
    close waits 2 s for a goodbye a hung server does not give."""

    @event.listens_for(engine.sync_engine, "handle_error")
    def _unanswered(context: ExceptionContext) -> None:
        if not isinstance(context.original_exception, TimeoutError):
            return
        if context.connection is not None:
            driver = context.connection.connection.driver_connection
            if driver is not None:
                driver.terminate()
        context.is_disconnect = True


class RollingBackSQLiteConnection(sqlite3.Connection):
    """A SQLite connection that ends its transaction when it is closed, whatever else still
    holds one of its statements.

    SQLAlchemy closes a connection whose statement was interrupted by a cancellation (a
    task cancelled mid-unit-of-work: a progress reporter stopped, a request dropped): it
    invalidates it and aiosqlite closes it. But ``sqlite3_close_v2`` only marks a
    connection with an unfinalized statement a "zombie": it is closed, and its transaction
    rolled back, when the last statement is finalized, and the cancelled cursor lives on in
    the exception's traceback until the cyclic garbage collector frees it. Until then the
    zombie kept the file's write lock, and every other writer waited out its 30 s busy
    timeout and failed with "database is locked". A ROLLBACK first ends the transaction at
    once (SQLite aborts pending statements rather than refusing it); the close is then as
    it was.
    """

    def close(self) -> None:
        """Roll back any open transaction (best effort), then close."""
        # An already closed connection raises ProgrammingError here; closing it again is
        # the no-op it always was.
        with contextlib.suppress(sqlite3.Error):
            if self.in_transaction:
                self.rollback()
        super().close()


def _rollback_if_begun(dbapi_connection: Any, _: Any, state: PoolResetState) -> None:
    """The pool's rollback of a SQLite connection returned to it, only when a transaction
    is open: outside one, SQLite's rollback does nothing (the sqlite3 module checks
    first), yet aiosqlite runs even that in the connection's worker thread, a hop that
    was a sixth of an admin's list page (the one-statement reads begin no transaction)."""
    if not state.asyncio_safe or state.transaction_was_reset:
        return  # as the pool's own reset: no awaiting in a garbage-collected connection
    driver = dbapi_connection.driver_connection
    try:
        begun = driver.in_transaction
    except ValueError:  # aiosqlite's "no active connection": nothing to roll back
        return
    if begun:
        dbapi_connection.rollback()


def _ping_idle_connections(engine: AsyncEngine) -> None:
    """Ping a pooled connection before use only if it has been idle a while.

    SQLAlchemy's ``pool_pre_ping`` pings at every checkout: with asyncpg that is three
    round trips (BEGIN, a statement, ROLLBACK) before each request's own query, a third
    of an uncached list request. A connection in steady use needs no ping. One that sat
    idle may have been closed (a database restart): it is pinged, and a dead one is
    replaced before the request sees it. A connection that dies while in use fails its
    request (503), and SQLAlchemy then invalidates every connection the pool held before
    that moment, so the next checkouts connect afresh.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _idle_from(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        driver = dbapi_connection.driver_connection
        try:
            # One round trip, no transaction (SQLAlchemy's ping makes three).
            await_only(driver.execute(";", timeout=PING_SECONDS))
        except Exception as exc:
            driver.terminate()  # at once: a hung server answers no goodbye either
            # The pool discards this connection and checks out (or opens) another.
            raise DisconnectionError("an idle connection was closed") from exc


class Database:
    """The process's engine and session factory."""

    def __init__(self, url: str, *, timeout: float | None = None) -> None:
        """``timeout``: see :func:`create_engine`."""
        self.url = url
        self.engine = create_engine(url, timeout=timeout)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        #: The engine for reads of one statement each, which need no transaction: on
        #: PostgreSQL asyncpg wraps every statement in BEGIN and ROLLBACK otherwise, two
        #: more round trips (a READ COMMITTED transaction gives each statement its own
        #: snapshot anyway). SQLite's driver begins no transaction for a read.
        self.reads = (
            self.engine
            if self.is_sqlite
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )

    @property
    def is_sqlite(self) -> bool:
        """Whether this is the embedded SQLite backend."""
        return self.url.startswith("sqlite")

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session; database connection failures surface as 503."""
        async with unavailable_as_503(), self.sessions() as session:
            yield session

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """One session and one transaction for one use case.

        Committed when the block ends, rolled back if it raises; do not commit inside.
        A database that cannot be reached (at the start or mid-way) surfaces as 503
        :class:`DatabaseUnavailable`. Slow work that needs no database (password hashing,
        storage I/O) belongs outside the block, so the transaction stays short.
        """
        async with self.session() as session, session.begin():
            yield session

    async def ping(self) -> None:
        """``SELECT 1`` or :class:`DatabaseUnavailable`."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            raise DatabaseUnavailable(
                f"the database is unavailable: {exc.__class__.__name__}"
            ) from exc

    async def close(self) -> None:
        """Dispose of the pool."""
        await self.engine.dispose()


#: Converts one value between the driver's form and SQLAlchemy's (None: as it is).
_Conversion = Callable[[Any], Any] | None


@dataclasses.dataclass(frozen=True, slots=True)
class DriverStatement:
    """A SELECT compiled once and run by the driver itself, its values converted as
    SQLAlchemy converts them.

    SQLAlchemy runs a statement on aiosqlite in four thread hops (cursor, execute, fetch,
    close) and much bookkeeping: 340-440 µs of CPU for ``SELECT 1`` against 30 µs for the
    driver's ``execute_fetchall`` (one hop). For a hot read of one statement; rows come
    back as tuples in the statement's column order. SQLite only: on PostgreSQL some
    conversions depend on the column types the server reports with each result, and
    asyncpg makes one round trip either way.
    """

    sql: str
    #: The bound parameters' names in the driver's order, with their conversions.
    parameters: tuple[tuple[str, _Conversion], ...]
    #: The bound values the statement carries itself (literals compared with).
    carried: Mapping[str, Any]
    #: The result columns with a conversion, by position: most have none, and visiting
    #: every value of a row to find the few cost more than converting them.
    converted: tuple[tuple[int, Callable[[Any], Any]], ...]

    @classmethod
    def compile(cls, statement: Select[Any], dialect: Dialect) -> DriverStatement | None:
        """``statement`` for ``dialect``; None if it is not SQLite's, or if a value given
        only at execution is rendered into the SQL (expanding IN, ``literal_execute``
        without a value), which only SQLAlchemy does.

        A ``literal_execute`` value the statement carries (a search's LIKE patterns) is
        written into the SQL here, once, by SQLAlchemy's own rendering (the type's
        literal processor: quotes doubled, as at each execution on SQLAlchemy's path).
        """
        if dialect.name != "sqlite":
            return None
        compiled = statement.compile(dialect=dialect)
        binds = compiled.binds
        late = compiled.literal_execute_params | compiled.post_compile_params
        if compiled.post_compile_params or any(bind.required for bind in late):
            return None
        sql: str = compiled.string
        names: Sequence[str] = compiled.positiontup or []
        if late:
            # Placeholders for the values bound at execution: only the carried literals
            # are rendered; the others stay parameters, named in the driver's order.
            expanded = compiled.construct_expanded_state(
                {bind.key: None for bind in binds.values() if bind.required}
            )
            sql, names = expanded.statement, expanded.positiontup or []
        parameters = tuple(
            (name, binds[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in names
        )
        columns = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        )
        carried = {name: bind.effective_value for name, bind in binds.items() if not bind.required}
        converted = tuple((i, c) for i, c in enumerate(columns) if c is not None)
        return cls(sql, parameters, carried, converted)

    async def rows(
        self, connection: AsyncConnection, values: Mapping[str, Any]
    ) -> list[tuple[Any, ...]]:
        """The result rows with ``values`` bound, on ``connection``'s driver connection."""
        driver = (await connection.get_raw_connection()).driver_connection
        sync = connection.sync_connection
        assert driver is not None and sync is not None
        bound = []
        for name, convert in self.parameters:
            value = values[name] if name in values else self.carried[name]
            bound.append(value if convert is None else convert(value))
        # What listens to SQLAlchemy's statements (tracing, the tests' statement counts)
        # hears this one too.
        for listener in sync.dispatch.before_cursor_execute:
            listener(sync, None, self.sql, bound, None, False)
        fetched: Sequence[Sequence[Any]] = await driver.execute_fetchall(self.sql, bound)
        converted = self.converted
        rows = []
        for row in fetched:
            cells = list(row)
            for index, convert in converted:
                cells[index] = convert(cells[index])
            rows.append(tuple(cells))
        return rows


@dataclasses.dataclass(frozen=True, slots=True)
class SchemaRevision:
    """Where one module's tables are against the migrations this code has for them."""

    module: str
    #: The revision the database's version table names (None: never migrated).
    current: str | None
    #: The newest revision of this code's migrations.
    head: str
    #: Whether this code has ``current`` among its migrations: a revision it does not
    #: know was written by a newer release (the database is ahead of the code).
    known: bool

    @property
    def behind(self) -> bool:
        """The code needs revisions the database has not had yet."""
        return self.known and self.current != self.head


class SchemaAhead(Exception):
    """Migrating refused: the database holds revisions newer than this code knows (a
    rollback to an older release), which it cannot upgrade from nor safely write to."""

    def __init__(self, revisions: Sequence[SchemaRevision]) -> None:
        super().__init__(", ".join(f"{r.module} at {r.current}" for r in revisions))
        self.revisions = tuple(revisions)


async def schema_revisions(url: str, migrations: Mapping[str, Path]) -> list[SchemaRevision]:
    """Where each module's tables are (module name -> its alembic script folder), read
    from the module's version table without changing anything."""
    engine = create_engine(url, pool_size=1)
    try:
        return await _revisions(engine, migrations)
    finally:
        await engine.dispose()


async def migrate(url: str, migrations: Mapping[str, Path]) -> list[SchemaRevision]:
    """Apply every module's migrations (module name -> its alembic script folder), after
    checking that none is ahead of them (:class:`SchemaAhead`, and nothing migrated);
    return where each module was before (each is now at its ``head``).

    Logs ``schema.migrated`` (module, from, to) for each module that moved."""
    engine = create_engine(url)
    try:
        revisions = await _revisions(engine, migrations)
        ahead = [r for r in revisions if not r.known]
        if ahead:
            raise SchemaAhead(ahead)
        for revision, folder in zip(revisions, migrations.values(), strict=True):
            async with engine.begin() as conn:
                await conn.run_sync(_upgrade, revision.module, folder)
            if revision.behind:
                log.info(
                    "schema.migrated",
                    module=revision.module,
                    from_revision=revision.current,
                    to_revision=revision.head,
                )
        return revisions
    finally:
        await engine.dispose()


async def _revisions(engine: AsyncEngine, migrations: Mapping[str, Path]) -> list[SchemaRevision]:
    async with engine.connect() as conn:
        return [await conn.run_sync(_revision, m, folder) for m, folder in migrations.items()]


def _version_table(module: str) -> str:
    return f"alembic_version_{module}"


def _revision(connection: Connection, module: str, folder: Path) -> SchemaRevision:
    # alembic is imported here, once at a start that migrates or checks the schema (about
    # 0.15 s of CPU), not by every process importing this module.
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(str(folder))
    head = scripts.get_current_head()
    assert head is not None, f"{folder} has no migrations"
    opts = {"version_table": _version_table(module)}
    current = MigrationContext.configure(connection, opts=opts).get_current_revision()
    known = current is None or current in {s.revision for s in scripts.walk_revisions()}
    return SchemaRevision(module, current, head, known)


def _upgrade(connection: Connection, module: str, folder: Path) -> None:
    """Upgrade ``module`` to its newest revision."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(folder))
    config.attributes["connection"] = connection
    config.attributes["version_table"] = _version_table(module)
    command.upgrade(config, "head")


def run_migrations_env(target_metadata: MetaData) -> None:
    """Body of every module's ``migrations/env.py``: run online on the given connection."""
    from alembic import context  # run by alembic itself: see _upgrade

    config = context.config
    connection: Connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=config.attributes["version_table"],
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
