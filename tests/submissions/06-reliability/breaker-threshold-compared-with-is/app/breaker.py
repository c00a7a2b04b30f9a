"""A circuit breaker for the shipping service: one per process, shared by every request.

    closed ──(BREAKER_FAILURES failed calls in a row)──> open
    open ──(BREAKER_COOLDOWN_SECONDS later, the next call)──> half-open: that call is the probe
    half-open ──(the probe succeeds)──> closed        half-open ──(the probe fails)──> open again

While open, and while a probe is out, every other call is refused at once: a dependency that is
down gets no traffic, and our requests don't queue up behind it.
"""

import time
from enum import IntEnum


class State(IntEnum):  # the values are the shipping_breaker_state gauge's
    CLOSED = 0
    OPEN = 1
    HALF_OPEN = 2


class CircuitBreaker:
    def __init__(self, failures: int, cooldown_s: float, clock=time.monotonic):
        self.threshold, self.cooldown_s, self.clock = failures, cooldown_s, clock
        self.state = State.CLOSED
        self.failures = 0  # failed calls in a row, while closed
        self.opened_at = 0.0
        self.probe_out = False

    def allow(self) -> bool:
        """May a call go out now? In half-open state only one may: the probe."""
        if self.state is State.OPEN and self.clock() - self.opened_at >= self.cooldown_s:
            self.state, self.probe_out = State.HALF_OPEN, False
        if self.state is State.HALF_OPEN:
            if self.probe_out:
                return False
            self.probe_out = True
            return True
        return self.state is State.CLOSED

    def success(self) -> None:
        self.state, self.failures, self.probe_out = State.CLOSED, 0, False

    def failure(self) -> None:
        if self.state is State.HALF_OPEN:  # the probe failed
            self.state, self.opened_at, self.probe_out = State.OPEN, self.clock(), False
            return
        self.failures += 1
        if self.failures is self.threshold:  # the count just reached it
            self.state, self.opened_at, self.probe_out = State.OPEN, self.clock(), False
