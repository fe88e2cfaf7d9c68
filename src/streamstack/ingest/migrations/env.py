"""Alembic environment of the ingest module: its own table and version table."""

from streamstack.ingest.models import IngestBase
from streamstack.kernel.db import run_migrations_env

run_migrations_env(IngestBase.metadata)
