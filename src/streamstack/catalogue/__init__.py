"""The catalogue module: media items, published browse and search, stream-token requests.

It owns the ``media_items``, ``media_tags`` and ``catalogue_outbox`` tables. Publishing,
unpublishing and deleting items emit ``catalogue.events.media.*`` events through a
transactional outbox; stream tokens are asked of the streaming module through its contract;
the transcoding worker reports an item's processing state through ``UPDATE_PROCESSING``.
Wiring is in :mod:`streamstack.catalogue.module`.
"""
