"""Shared test support: settings per backend, running apps, minting tokens.

How the suite is shaped (issue 12.9):

* ``support.apps.running_app`` is the one way to run an app in a test (``served_app`` when a
  real listener is needed); ``support.apps.BACKEND_KINDS`` the one embedded/production list;
  ``support.waiting.eventually`` the one poller; ``harness.servers.free_port`` the one port
  finder; ``support.tokens`` the forged-token table. Fixtures reach every conftest through the
  root ``pytest_plugins``.
* Helper modules beside an area's tests are named ``<area>_<what>.py``: ``<area>_rig.py`` when
  it runs apps or servers and the steps on them (``streaming_rig``, ``ingest_rig``,
  ``system_rig``, ``fault_rig``); otherwise after what it makes (``ingest_media``,
  ``transcode_media``, ``system_video``, ``auth_accounts``, ``deploy_paths``).
"""
