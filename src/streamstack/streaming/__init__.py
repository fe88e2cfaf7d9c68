"""The streaming module: stream tokens, byte-range delivery and thumbnails.

* ``ISSUE_STREAM_TOKEN`` (contracts/streaming.py), served in-process or at
  ``POST /internal/v1/stream/token``: the kernel authenticates the user (signature and
  revocation list), then streaming stores ``token -> media_id|user_id|timestamp|s3_key|
  size_bytes|object_prefix`` in the ``stream-tokens`` KV bucket for the token TTL.
* ``GET``/``HEAD /api/v1/stream/<token>``: one KV lookup (the grant is then reused for
  2 s, ``repository.GRANT_CACHE_SECONDS``), one ranged read of the media bucket, streamed
  in ``STREAMSTACK_STREAM_CHUNK_BYTES`` chunks (RFC 9110 ranges and conditionals); or,
  with ``STREAMSTACK_STREAMING_DELIVERY=nginx``, an ``X-Accel-Redirect`` that nginx serves.
  Behind the shipped nginx config (``compose/nginx-streaming.conf``) nginx instead asks
  once per URI with ``auth_request`` (header ``X-Streamstack-Check``: an empty 200 naming
  the target, or 403 with the code), caches that 2 s and serves every range itself.
* ``GET``/``HEAD /api/v1/stream/<token>/<path>``: the same for any transcoder file under the
  item's prefix (``hls/master.m3u8``, ``hls/<rung>/seg_00001.m4s``, ``storyboard/…``);
  no path leaves the prefix (``models.FILE_PATH``).
* ``GET``/``HEAD /api/v1/stream/thumbnails/<media uuid>.jpg`` and ``<media
  uuid>-poster.jpg``: public thumbnails and posters (a poster falls back to the thumbnail).
* Take-downs: ``media.unpublished`` / ``media.deleted`` stop the item's earlier tokens
  (``takedowns.py``, in memory: no extra lookup per request).

No database, no call to another module. Files: ``module.py`` wires it; ``routes.py`` (HTTP),
``service.py`` (token and delivery use cases), ``repository.py`` (the KV token store),
``models.py`` (the grant), ``schemas.py`` (documented answers), ``contract.py`` (the
operation's handler), ``metrics.py``, ``takedowns.py``; ``ranges.py`` and ``conditions.py``
are RFC 9110.
"""
