"""The catalogue module: media items, published browse and search, stream-token requests.

It owns the ``media_items``, ``media_tags`` and ``catalogue_outbox`` tables. Publishing and
deleting items emit ``catalogue.events.media.*`` events through a transactional outbox;
stream tokens are asked of the streaming module through its contract. Wiring is in
:mod:`streamstack.catalogue.module`.
"""

from streamstack.catalogue.module import MODULE  # noqa: F401  # until the app imports .module
