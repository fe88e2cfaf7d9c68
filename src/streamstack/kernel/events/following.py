"""Subscriptions kept for as long as the app runs.

A module that must see every event of a subject once, those published while none of its
processes ran included, follows it with a :class:`DurableFollower`; one whose every
process keeps its own view of recent events (in memory) follows them with a
:class:`LiveFollower`. Either way ``follow`` is a background task's step (retried while
the bus is down), ``try_follow`` a start-up hook (subscribes before the first request if
the bus answers, and start-up goes on if not), ``stop`` a shut-down hook.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from streamstack.kernel.events import Durable, EventBus, EventHandler, Live, Subscription

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
        await _try(self.follow, subject=self.subject, durable=self.durable)

    async def stop(self) -> None:
        """Unsubscribe."""
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            await subscription.unsubscribe()


@dataclasses.dataclass(eq=False, slots=True)
class LiveFollower:
    """Delivers every event on ``subjects`` to ``handler`` in this process, those of the
    last ``replay_seconds`` included each time it subscribes.

    ``restore`` runs before each subscription: the state the handler builds, as last saved,
    for a bus with nothing to replay (the in-process one) or a longer absence.
    """

    events: EventBus
    subjects: tuple[str, ...]
    handler: EventHandler
    replay_seconds: float
    restore: Callable[[], Awaitable[None]]
    _subscriptions: list[Subscription] = dataclasses.field(default_factory=list, init=False)

    @property
    def following(self) -> bool:
        """Whether every subject is followed."""
        return len(self._subscriptions) == len(self.subjects)

    async def follow(self) -> None:
        """Subscribe to every subject, if not yet, or again if NATS lost one."""
        if self.following and await _all_alive(self._subscriptions):
            return
        await self.stop()  # a half-made set from a failed attempt, or a lost one
        await self.restore()
        for subject in self.subjects:
            self._subscriptions.append(
                await self.events.subscribe(
                    subject, self.handler, Live(replay_seconds=self.replay_seconds)
                )
            )
        log.info("events.following", subjects=list(self.subjects))

    async def try_follow(self) -> None:
        """Subscribe if the bus answers; if not, log it and leave it to the task."""
        await _try(self.follow, subjects=list(self.subjects))

    async def stop(self) -> None:
        """Unsubscribe from every subject."""
        subscriptions, self._subscriptions = self._subscriptions, []
        for subscription in subscriptions:
            await subscription.unsubscribe()


async def _all_alive(subscriptions: list[Subscription]) -> bool:
    """Whether every subscription still stands (NATS may have lost them with its store)."""
    for subscription in subscriptions:
        if not await subscription.alive():
            return False
    return True


async def _try(follow: Callable[[], Awaitable[None]], **about: Any) -> None:
    """``follow()``, logging a failure (``about``: what it follows) instead of raising."""
    try:
        await follow()
    except Exception as exc:
        log.warning("events.not_following_yet", **about, error=str(exc) or exc.__class__.__name__)
