"""Column builders the modules' alembic migrations share (and the loader a revision uses to
reuse an earlier one's statements). A column is NOT NULL unless it
says ``nullable=True``, as a model's column is unless its type is optional.

A migration must build the same schema for ever, so a function here never changes what
it builds: a new kind of column is a new function (or a new argument whose default builds
what was built before), not an edit of an old one. Alembic
reads only ``revision`` and ``down_revision`` from a migration script (``branch_labels``
and ``depends_on`` default to none), so the scripts declare just those two.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlalchemy as sa


def column(
    name: str,
    type_: sa.types.TypeEngine[Any],
    *,
    nullable: bool = False,
    server_default: sa.TextClause | sa.sql.elements.ColumnElement[Any] | None = None,
) -> sa.Column[Any]:
    """A column of ``type_``, NOT NULL unless ``nullable`` (as the models declare a column
    whose type is not optional), with the database-side default ``server_default``."""
    return sa.Column(name, type_, nullable=nullable, server_default=server_default)


def timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    """A timezone-aware ``DateTime`` column (NOT NULL unless ``nullable``)."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def sequence_number(name: str = "seq") -> sa.Column[object]:
    """An auto-incrementing ``BIGINT`` key (``INTEGER`` on SQLite, where only that type
    aliases the rowid and so increments)."""
    return sa.Column(
        name,
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        autoincrement=True,
        nullable=False,
    )


def uuid_column(name: str, *, nullable: bool = False) -> sa.Column[object]:
    """A ``UUID`` column (NOT NULL unless ``nullable``): an id, or a reference to one."""
    return sa.Column(name, sa.Uuid(), nullable=nullable)


def primary_key(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    """The primary key of ``table`` on ``columns``, named ``pk_<table>`` as the models'
    naming convention names it."""
    return sa.PrimaryKeyConstraint(*columns, name=f"pk_{table}")


def foreign_key(table: str, column: str, target: str, *, ondelete: str) -> sa.ForeignKeyConstraint:
    """``table.column`` referring to ``target.id``, named
    ``fk_<table>_<column>_<target>`` as the models' naming convention names it."""
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete=ondelete
    )


def unique(table: str, column: str) -> sa.UniqueConstraint:
    """A unique constraint on ``table.column``, named ``uq_<table>_<column>``."""
    return sa.UniqueConstraint(column, name=f"uq_{table}_{column}")


def outbox_table(
    table: str,
    *,
    event_id_length: int,
    subject_length: int,
    extra: Sequence[sa.Column[Any]] = (),
    pending_on: str | None = None,
) -> list[sa.schema.SchemaItem]:
    """What ``op.create_table(table, *items)`` needs for an outbox (the kernel's
    ``OutboxColumns``): its columns, the module's ``extra`` ones (``attempts``, ``due_at``),
    its key and unique event id, an index on ``sent_at`` and, with ``pending_on``, the
    partial index of unsent rows by that column (alembic creates a table's indexes with it)."""
    items: list[sa.schema.SchemaItem] = [
        sequence_number(),
        column("event_id", sa.String(event_id_length)),
        column("subject", sa.String(subject_length)),
        column("payload", sa.LargeBinary()),
        timestamp("created_at"),
        *extra,
        timestamp("sent_at", nullable=True),
        primary_key(table, "seq"),
        unique(table, "event_id"),
        sa.Index(f"ix_{table}_sent_at", "sent_at"),
    ]
    if pending_on is not None:
        unsent = sa.text("sent_at IS NULL")
        items.append(
            sa.Index(
                f"ix_{table}_pending", pending_on, postgresql_where=unsent, sqlite_where=unsent
            )
        )
    return items


def in_batches(
    connection: sa.Connection, query: sa.Select[Any], key: sa.ColumnElement[Any], size: int
) -> Iterator[Sequence[sa.Row[Any]]]:
    """The rows of ``query`` ``size`` at a time, in the order of ``key`` (unique; a column
    ``query`` selects as ``id``): a data migration never holds a large table in memory."""
    last = None
    while True:
        batch = query.order_by(key).limit(size)
        if last is not None:
            batch = batch.where(key > last)
        rows = connection.execute(batch).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def earlier_revision(beside: str, filename: str) -> ModuleType:
    """The migration script ``filename`` in the folder of the script ``beside`` (its
    ``__file__``), loaded as a module: how a later revision reuses an earlier one's own
    statements (to undo them, or to build what it built) instead of copying them."""
    path = Path(beside).with_name(filename)
    spec = importlib.util.spec_from_file_location(f"revision_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
