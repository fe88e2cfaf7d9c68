"""A database whose disk fills at the next write to one table: real disk-full errors from
the real database, without a small file system (which needs root).

SQLite: every connection gets ``PRAGMA max_page_count`` at the file's size, and an insert
into the table also writes a megabyte of ballast, which needs new pages: SQLite fails the
statement with SQLITE_FULL ("database or disk is full"), as it does when the disk is full.
PostgreSQL has no size limit to set without a small tablespace (root again): a trigger
raises SQLSTATE 53100 ``disk_full``, the code PostgreSQL answers "could not extend file:
No space left on device" with, through the same driver and connection.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text

from streamstack.kernel.db import Database


async def fill_the_disk_at(database: Database, table: str) -> None:
    """Make the next insert into ``table`` of ``database`` fail for a full disk."""
    if database.is_sqlite:
        await _fill_sqlite(database, table)
    else:
        await _fill_postgres(database, table)


async def _fill_sqlite(database: Database, table: str) -> None:
    async with database.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE IF NOT EXISTS disk_ballast (b BLOB)"))
        await conn.execute(
            text(
                f"CREATE TRIGGER disk_full_at_{table} AFTER INSERT ON {table} "  # noqa: S608
                "BEGIN INSERT INTO disk_ballast VALUES (zeroblob(1048576)); END"
            )
        )
        await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))

    @event.listens_for(database.engine.sync_engine, "connect")
    def _no_more_pages(dbapi_connection: Any, _: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()

    await database.engine.dispose()  # the pooled connections come again, limited


async def _fill_postgres(database: Database, table: str) -> None:
    async with database.engine.begin() as conn:
        await conn.execute(
            text(
                "CREATE OR REPLACE FUNCTION disk_full() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'could not extend file: No space left on device' "
                "USING ERRCODE = 'disk_full'; END $$ LANGUAGE plpgsql"
            )
        )
        await conn.execute(
            text(
                f"CREATE TRIGGER disk_full_at_{table} BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION disk_full()"
            )
        )
