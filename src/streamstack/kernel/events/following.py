"""A durable subscription kept for as long as the app runs.

A module that must see every event of a subject, those published while none of its
processes ran included, follows it with a :class:`DurableFollower`: its ``follow`` is a
background task's step (retried while the bus is down), ``try_follow`` a start-up hook
(subscribes before the first request if the bus answers, and start-up goes on if not),
``stop`` a shut-down hook.
"""

from __future__ import annotations

import dataclasses

import structlog

from streamstack.kernel.events import Durable, EventBus, EventHandler, Subscription

log = structlog.get_logger(__name__)


@dataclasses.dataclass(eq=False, slots=True)
class DurableFollower:
    """Delivers each event on ``subject`` to ``handler``, once between the processes that
    share ``durable``; an event whose handler raised comes again."""

    events: EventBus
    subject: str
    handler: EventHandler
    durable: str
    _subscription: Subscription | None = dataclasses.field(default=None, init=False)

    async def follow(self) -> None:
        """Subscribe, if not yet, or again if NATS lost the subscription's consumer."""
        if self._subscription is not None and not await self._subscription.alive():
            log.warning("events.following_lost", subject=self.subject, durable=self.durable)
            self._subscription = None
        if self._subscription is None:
            self._subscription = await self.events.subscribe(
                self.subject, self.handler, Durable(self.durable)
            )
            log.info("events.following", subject=self.subject, durable=self.durable)

    async def try_follow(self) -> None:
        """Subscribe if the bus answers; if not, log it and leave it to the task."""
        try:
            await self.follow()
        except Exception as exc:
            log.warning(
                "events.not_following_yet",
                subject=self.subject,
                durable=self.durable,
                error=str(exc) or exc.__class__.__name__,
            )

    async def stop(self) -> None:
        """Unsubscribe."""
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            await subscription.unsubscribe()
