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
from sqlalchemy import MetaData
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
        return diffs

    def _config(self, connection: Connection) -> Config:
        config = Config()
        config.set_main_option("script_location", str(self.module.migrations))
        config.attributes["connection"] = connection
        config.attributes["version_table"] = self.version_table
        return config
