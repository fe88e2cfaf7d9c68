"""Alembic environment of the auth module: its own tables and version table."""

from streamstack.auth.models import AuthBase
from streamstack.kernel.db import run_migrations_env

run_migrations_env(AuthBase.metadata)
