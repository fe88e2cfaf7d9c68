"""One module's alembic revisions, moved to on a connection a test holds, and what its
tables then lack or have beyond its models (the way ``kernel.db`` migrates, to any revision)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import ForeignKeyConstraint, MetaData
from sqlalchemy.engine import Connection

from streamstack.kernel.module import ModuleDefinition


@dataclasses.dataclass(frozen=True)
class Revisions:
    """A module's migration scripts and the models they must build.

    Each method takes the connection first, for ``AsyncConnection.run_sync``.
    """

    module: ModuleDefinition
    metadata: MetaData
    #: Which schema objects ``differences`` compares (alembic's ``include_name``): all by
    #: default; those that live only in the migrations (search indexes) are passed over.
    include_name: Callable[[str | None, str, Any], bool] | None = None

    @property
    def version_table(self) -> str:
        """The module's own alembic version table."""
        return f"alembic_version_{self.module.name}"

    @property
    def head(self) -> str:
        """The module's newest revision (what ``migrate`` moves its tables to)."""
        head = ScriptDirectory(str(self.module.migrations)).get_current_head()
        assert head is not None, self.module.name
        return head

    def upgrade(self, connection: Connection, revision: str = "head") -> None:
        """Upgrade the module's tables to ``revision``."""
        command.upgrade(self._config(connection), revision)

    def downgrade(self, connection: Connection, revision: str) -> None:
        """Downgrade the module's tables to ``revision``."""
        command.downgrade(self._config(connection), revision)

    def differences(self, connection: Connection) -> list[Any]:
        """What the database's tables differ in from the models (types compared too)."""
        opts: dict[str, Any] = {"compare_type": True, "version_table": self.version_table}
        if self.include_name is not None:
            opts["include_name"] = self.include_name
        context = MigrationContext.configure(connection, opts=opts)
        diffs: list[Any] = compare_metadata(context, self.metadata)
        if connection.dialect.name == "sqlite":
            diffs = _without_inline_key_options(diffs)
        return diffs

    def _config(self, connection: Connection) -> Config:
        config = Config()
        config.set_main_option("script_location", str(self.module.migrations))
        config.attributes["connection"] = connection
        config.attributes["version_table"] = self.version_table
        return config


def _without_inline_key_options(diffs: list[Any]) -> list[Any]:
    """``diffs`` less the pairs SQLite's reflection makes of a foreign key added by ADD
    COLUMN (SQLite adds no constraint to a table): SQLAlchemy parses the names and ON
    DELETE of table-level keys alone, so such a key reads unnamed and without its options,
    a ``remove_fk`` of it and an ``add_fk`` of the model's. The tests of the revision that
    adds one check that it cascades."""

    def key(fk: ForeignKeyConstraint) -> tuple[str, tuple[str, ...], str]:
        return (fk.table.name, tuple(fk.column_keys), fk.referred_table.name)

    unnamed = {
        key(diff[1])
        for diff in diffs
        if diff[0] == "remove_fk" and diff[1].name is None and not diff[1].ondelete
    }
    added = {key(diff[1]) for diff in diffs if diff[0] == "add_fk"}
    paired = unnamed & added
    return [
        diff
        for diff in diffs
        if not (diff[0] in ("remove_fk", "add_fk") and key(diff[1]) in paired)
    ]
