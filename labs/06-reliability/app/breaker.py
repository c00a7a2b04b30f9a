"""A circuit breaker for the shipping service: one per process, shared by every request
(README, 'The circuit breaker').

    closed ──(BREAKER_FAILURES failed calls in a row)──> open
    open ──(BREAKER_COOLDOWN_SECONDS later, the next call)──> half-open: that call is the probe
    half-open ──(the probe succeeds)──> closed        half-open ──(the probe fails)──> open again
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

    def allow(self) -> bool:
        """May a call go out now? In half-open state only one may: the probe."""
        raise NotImplementedError("TODO: CircuitBreaker.allow - README, 'The circuit breaker' (R8, R9)")

    def success(self) -> None:
        raise NotImplementedError("TODO: CircuitBreaker.success - README, 'The circuit breaker' (R8, R9)")

    def failure(self) -> None:
        raise NotImplementedError("TODO: CircuitBreaker.failure - README, 'The circuit breaker' (R8, R9)")
