"""A spend from an empty token bucket is refused with the budgeted error's own message."""

from __future__ import annotations

import pytest

from streamstack.kernel.budgets import Budgets
from streamstack.kernel.errors import TooManyRequests
from support.clock import HeldClock


class PostsThrottled(TooManyRequests, code="posts_throttled"):
    """What the test's budget refuses with."""

    budget_detail = "you are posting quickly; wait a little"


def test_an_empty_bucket_answers_its_errors_message_and_when_to_come_back() -> None:
    clock = HeldClock()
    budgets = Budgets(2, 30.0, PostsThrottled, clock)
    budgets.spend("a")
    budgets.spend("a")
    with pytest.raises(PostsThrottled) as refused:
        budgets.spend("a")
    assert refused.value.detail == "you are posting quickly; wait a little"
    assert refused.value.code == "posts_throttled"
    assert refused.value.headers["Retry-After"] == "30"
    budgets.spend("b")  # another key has its own bucket
    clock.advance(30)
    budgets.spend("a")
