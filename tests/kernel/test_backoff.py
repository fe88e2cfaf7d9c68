"""The one backoff rule of background tasks, job workers and the upload client."""

from __future__ import annotations

from streamstack.kernel.backoff import backoff_seconds


def test_backoff_doubles_from_the_first_wait_up_to_the_cap() -> None:
    waits = [backoff_seconds(failures, 0.5, 5.0) for failures in range(1, 7)]
    assert waits == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]


def test_backoff_stays_finite_through_an_outage_of_any_length() -> None:
    # 0.2 * 2 ** 1024 raised OverflowError: a task failing every 30 s died after 8.5 hours.
    assert backoff_seconds(10_000, 0.2, 30.0) == 30.0
