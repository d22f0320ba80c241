"""The embedded engine's deadline clock ticks while an evaluation runs, and only then.

A clock that ticked all the time woke every worker process 200 times a second, idle or
not, taking the GIL from the request being served. The runaway-evaluation test in
``test_fail_closed`` shows the clock still stops an evaluation at its deadline.
"""

from __future__ import annotations

import sys
import threading
import time

from app.policy.embedded import EmbeddedEngine
from app.policy.input_document import example_inputs
from app.policy.wasm_abi import CLOCK_THREAD, TICK_S

#: How long to wait for the clock's last tick after an evaluation (a shared machine is slow).
SETTLE_S = 5.0


def _clocks_resting() -> list[bool]:
    """For each clock thread of the process: is it waiting for an evaluation to start?

    A resting clock is blocked in ``Condition.wait``; a ticking one sleeps in its loop.
    """
    frames = sys._current_frames()
    return [
        frames[thread.ident].f_code.co_name == "wait"
        for thread in threading.enumerate()
        if thread.name == CLOCK_THREAD and thread.ident in frames
    ]


def test_the_clock_rests_between_evaluations(embedded_engine: EmbeddedEngine) -> None:
    document = example_inputs()["credit_promotion_ready"].document()
    assert embedded_engine.decide("production_promotion", document).error is None
    assert _clocks_resting(), "no deadline clock thread is running"
    settled_by = time.monotonic() + SETTLE_S
    while not all(_clocks_resting()):
        assert time.monotonic() < settled_by, "the clock kept ticking with nothing to time"
        time.sleep(TICK_S)
    for _ in range(20):  # twenty ticks' worth of time: a ticking clock would show
        time.sleep(TICK_S)
        assert all(_clocks_resting())
