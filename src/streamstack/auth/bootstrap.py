"""The operator's way to get an admin outside the web app: ``streamstack create-admin``."""

from __future__ import annotations

import sys

from streamstack.auth.module import standalone_service
from streamstack.kernel.errors import AppError
from streamstack.settings import Settings


async def create_admin_command(settings: Settings, email: str, password: str | None) -> int:
    """``streamstack create-admin``: print what was done; exit status 0, or 2 on bad input."""
    try:
        async with standalone_service(settings) as service:
            account = await service.create_admin(email, password)
    except AppError as exc:
        print(f"streamstack: error: {exc.detail}", file=sys.stderr)
        return 2
    if account.password is not None:
        # Without a database URL the account is in the data directory's SQLite file.
        print(account.banner(None if settings.database_url else str(settings.data_dir.resolve())))
        return 0
    done = "created" if account.created else "promoted"
    if password is not None and not account.created:
        done += "; password replaced and its sessions ended"
    print(f"{account.email} is an admin ({done})")
    return 0
