"""The ``streamstack`` command: dev, serve, migrate and the operator commands.

* :mod:`.main`: the entry point (``streamstack = "streamstack.cli:main"``) and its parser;
* :mod:`.commands`: ``dev``, ``serve``, ``migrate``, ``create-admin`` and running uvicorn;
* :mod:`.database`: migrations and the start-up database check;
* :mod:`.upload`: ``streamstack upload`` on top of :mod:`.tus_client`, a tus 1.0 client;
* :mod:`.login`: ``streamstack login`` / ``logout``, on :mod:`.session` (access tokens from
  the stored sign-in, renewed mid-upload) and :mod:`.credentials` (the private token file).
"""

from streamstack.cli.database import apply_migrations
from streamstack.cli.main import main

__all__ = ["apply_migrations", "main"]
