"""A warning repeated by every refused call is logged once an interval, with a count."""

from __future__ import annotations

import structlog

from streamstack.kernel.occasional import OccasionalWarning


def test_a_warning_is_logged_again_after_the_interval_with_what_was_left_out() -> None:
    now = [100.0]
    warning = OccasionalWarning("internal.secret_refused", "test", 60.0, clock=lambda: now[0])
    with structlog.testing.capture_logs() as logs:
        for moment in (100.0, 110.0, 159.0, 160.0, 161.0):
            now[0] = moment
            warning.occurred(detail="check the setting")
    assert [(line["event"], line["suppressed"]) for line in logs] == [
        ("internal.secret_refused", 0),
        ("internal.secret_refused", 2),
    ]
    assert all(line["log_level"] == "warning" for line in logs)
