"""The catalogue's read mix and how it is measured: reads of 100 hot products by CLIENTS closed-loop
clients, spread over an app's two processes, in short slices taken in turns with other apps, so a
change in the machine's load hits every app alike. Used by test_throughput.py and by
tests/bench/bench_lab05.py."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from _load import Call, LoadReport, Reply, burst, closed_loop

HOT = range(90_001, 90_101)  # the hot set: 100 products, read uniformly
CLIENTS = 16
SLICES = 4
SLICE_S = 0.4


def fresh_key() -> str:
    return f"load-{next(_keys)}"


_keys = itertools.count()


def read(urls: list[str]) -> Callable:
    """Each call: a read of a random hot product, on the next process in turn, with its own API key."""
    turn = itertools.count()

    def next_call(rng) -> Call:
        return Call(urls[next(turn) % len(urls)], f"/products/{rng.choice(HOT)}", headers={"X-API-Key": fresh_key()})

    return next_call


def warm(*apps: list[str]) -> None:
    """Read every hot product once from each app (its processes' ``urls``), all apps at once: then
    the measured reads can be cache hits."""
    calls = [
        Call(urls[i % len(urls)], f"/products/{p}", headers={"X-API-Key": fresh_key()})
        for urls in apps
        for i, p in enumerate(HOT)
    ]
    burst(calls, timeout_s=30)


@dataclass
class Target:
    urls: list[str]
    check: Callable[[Reply], str] = lambda reply: ""
    # entered around each of this target's slices (the suite pauses learner processes for the reference)
    around: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext
    report: LoadReport | None = field(default=None, init=False)


def in_turns(targets: dict[str, Target], *, slices: int = SLICES, slice_s: float = SLICE_S) -> dict[str, LoadReport]:
    for n in range(slices):
        for target in targets.values():
            with target.around():
                target.report = closed_loop(
                    read(target.urls),
                    clients=CLIENTS,
                    duration_s=slice_s,
                    seed=n,
                    check=target.check,
                    report=target.report,
                )
    return {name: target.report for name, target in targets.items()}
