"""The ingest module: admins upload videos, which are probed, thumbnailed and registered.

An upload arrives as a streamed multipart form post (``POST /api/v1/ingest/upload``) or
as a resumable tus upload (``/api/v1/ingest/uploads``). Either way its bytes go straight
to the media bucket under ``<uuid>.<ext>``; a sandboxed worker process probes the object
through ranged reads; the thumbnail and its larger poster go to the thumbnails bucket
under ``<uuid>.jpg`` and ``<uuid>-poster.jpg``; an MP4 with its index at the end is
rewritten with the index first; and catalogue registers the item with id ``<uuid>``.
Whatever fails on the way, nothing is left behind.

Files: ``module.py`` wires it; ``routes.py`` (HTTP), ``service.py`` (use cases),
``repository.py`` (all database access), ``models.py`` (tables), ``schemas.py`` (HTTP
shapes), ``metrics.py``; domain files beside them: ``tus.py`` (protocol headers),
``resumable.py`` (tus bytes into multipart parts), ``form.py`` (streamed multipart form),
``containers.py`` (sniffing), ``processing.py`` (probe → thumbnail → register), ``probe.py``
(app side of the probe), ``probe_worker.py`` + ``probe_messages.py`` (the worker),
``sandbox.py`` (confined child processes for every media worker).

This package and the modules a worker child imports (``sandbox``, ``probe_worker``,
``probe_messages``, ``containers``) import nothing of the web stack: only ``module.py``
pulls the app's pieces together.
"""
