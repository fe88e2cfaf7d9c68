"""Alembic environment of the catalogue module: its own tables and version table."""

from streamstack.catalogue.models import CatalogueBase
from streamstack.kernel.db import run_migrations_env

run_migrations_env(CatalogueBase.metadata)
