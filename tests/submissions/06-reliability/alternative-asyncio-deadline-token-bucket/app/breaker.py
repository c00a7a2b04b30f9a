"""Another correct breaker: the state is derived from two numbers - failures in a row and the time
the next probe may go - instead of being stored as an enum."""

import time
from enum import IntEnum


class State(IntEnum):
    CLOSED = 0
    OPEN = 1
    HALF_OPEN = 2


class CircuitBreaker:
    def __init__(self, failures: int, cooldown_s: float, clock=time.monotonic):
        self.threshold, self.cooldown_s, self.clock = failures, cooldown_s, clock
        self.in_a_row = 0
        self.next_probe_at: float | None = None  # None: closed
        self.probing = False

    @property
    def state(self) -> State:
        if self.next_probe_at is None:
            return State.CLOSED
        return State.HALF_OPEN if self.probing or self.clock() >= self.next_probe_at else State.OPEN

    def allow(self) -> bool:
        if self.next_probe_at is None:
            return True
        if self.probing or self.clock() < self.next_probe_at:
            return False
        self.probing = True
        return True

    def success(self) -> None:
        self.in_a_row, self.next_probe_at, self.probing = 0, None, False

    def failure(self) -> None:
        self.in_a_row += 1
        if self.probing or self.in_a_row >= self.threshold:
            self.next_probe_at, self.probing = self.clock() + self.cooldown_s, False
