"""Part "concurrency": I/O waits overlap, CPU-bound forecasts run in other processes, /health stays quick."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field

import pytest
from _downstream import recommendations_for
from _load import Burst, Call, Reply, burst
from _procs import cpu_seconds
from _servers import REFERENCE
from _shop import MAIN, fresh_id, fresh_ids, wait_for

from grader.testing import fail

IO_CALLS = 120  # 60 per process: more than the 40 threads FastAPI gives `def` routes
FORECASTS = 3  # at once, on one process
PROBES = 5
PROBE_DELAYS_S = [0.0, 0.02, 0.04, 0.06, 0.08]


_REFERENCE_FORECAST = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("reference_forecast", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps(module.forecast(*map(int, sys.argv[2:]))))
"""


class ReferenceForecast:
    """The reference ``forecast(*args)``, computed in a trusted process of its own (niced like the
    learner's apps) while the learner's forecast runs: a second core, not a second wait."""

    def __init__(self, *args: int):
        command = [sys.executable, "-I", "-c", _REFERENCE_FORECAST, str(REFERENCE / "app" / "forecast.py")]
        self._process = subprocess.Popen(["nice", "-n", "10", *command, *map(str, args)], stdout=subprocess.PIPE)
        self._result: dict | None = None

    def result(self) -> dict:
        if self._result is None:
            out, _ = self._process.communicate(timeout=120)
            assert self._process.returncode == 0, "the reference forecast failed (a grader problem, not yours)"
            self._result = json.loads(out)
        return self._result

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.communicate()


def test_waiting_on_io_blocks_nothing(main, downstream):
    ids = fresh_ids(2)
    hold = downstream.hold("recommendations", ids, until=2, max_s=1.0)
    burst([main.call(f"/products/{i}/recommendations", via=0) for i in ids], timeout_s=5)
    if hold.peak < 2:
        fail(
            "two concurrent GET /products/{id}/recommendations on one process reached the recommendations service "
            "one after the other: the event loop is blocked while it waits - use the async client "
            "(Recommendations) and await it (app/routes/products.py; README, 'Concurrency')"
        )
    ids = fresh_ids(IO_CALLS)
    hold = downstream.hold("recommendations", ids, until=IO_CALLS, max_s=10.0)
    calls = [main.call(f"/products/{pid}/recommendations", via=i % 2) for i, pid in enumerate(ids)]
    answers = burst(calls, timeout_s=20)
    wrong = [
        answer.describe()
        for answer, pid in zip(answers, ids)
        if answer.status != 200
        or answer.json() != {"product_id": pid, "recommendations": recommendations_for(pid), "degraded": False}
    ]
    assert not wrong, f"{len(wrong)} of {IO_CALLS} concurrent recommendation calls failed, e.g. {wrong[0]}"
    assert hold.peak == IO_CALLS, (
        f"{IO_CALLS} concurrent GET /products/{{id}}/recommendations ({IO_CALLS // 2} per process) should all wait "
        f"on the recommendations service at the same time, but at most {hold.peak} did: a `def` route holds one of "
        "40 threads while it waits - make the route async and await the async client (README, 'Concurrency')"
    )


@dataclass
class ForecastRun:
    problem: str = ""  # why the run tells nothing (a wrong answer...)
    forecasts: list[Reply] = field(default_factory=list)  # the one forecast /health was probed during
    probes: list[Reply] = field(default_factory=list)
    cpu_s: dict[int, float] = field(default_factory=dict)  # process -> CPU seconds the forecasts used


def _computing(app, before: dict[int, float]) -> bool:
    return sum(cpu_seconds([app.process.pid]).values()) - sum(before.values()) >= 0.05


@pytest.fixture(scope="module")
def forecasts(_main_shop, downstream) -> ForecastRun:
    """One forecast on process 0, with /health probes sent to it once it computes; then, if the
    forecast did not run in the app's own process, FORECASTS at once; CPU time per process from /proc."""
    shop = _main_shop.ready()
    product_id = fresh_id()
    path = f"/products/{product_id}/forecast?days=30"
    price = downstream.product(product_id)["price_cents"]
    reference = ReferenceForecast(price, 30, int(MAIN["FORECAST_PATHS"]), product_id)
    try:
        return _forecast_run(shop, path, lambda: {"product_id": product_id, "days": 30, **reference.result()})
    finally:
        reference.stop()


def _forecast_run(shop, path: str, reference) -> ForecastRun:
    run = ForecastRun()
    app = shop.apps[0]
    before = cpu_seconds([app.process.pid])
    forecasting = Burst([shop.call(path, via=0)], timeout_s=60)
    if not wait_for(lambda: _computing(app, before), 20, 0.002):
        run.problem = f"GET {path}: the app never started computing ({forecasting.result()[0].describe()})"
        return run
    run.probes = Burst([Call(app.url, "/health")] * PROBES, timeout_s=60, delays_s=PROBE_DELAYS_S).result()
    run.forecasts = forecasting.result()
    expected = reference()
    if wrong := [r.describe() for r in run.forecasts if r.status != 200 or r.json() != expected]:
        run.problem = f"GET {path} should answer 200 with {expected} (forecast() of app/forecast.py), got {wrong[0]}"
        return run
    after = cpu_seconds([app.process.pid])
    run.cpu_s = {pid: seconds - before.get(pid, 0.0) for pid, seconds in after.items()}
    if run.cpu_s.get(app.process.pid, 0.0) < 0.8 * sum(run.cpu_s.values()):  # it ran elsewhere: how many at once?
        before = cpu_seconds([app.process.pid])
        replies = Burst([shop.call(path, via=0) for _ in range(FORECASTS)], timeout_s=60).result()
        after = cpu_seconds([app.process.pid])
        run.cpu_s = {pid: seconds - before.get(pid, 0.0) for pid, seconds in after.items()}
        if wrong := [r.describe() for r in replies if r.status != 200 or r.json() != expected]:
            run.problem = f"{FORECASTS} concurrent GET {path}: expected 200 with {expected}, got {wrong[0]}"
    return run


def test_health_answers_while_forecasts_run(forecasts):
    if forecasts.problem:
        fail(forecasts.problem)
    [forecast] = forecasts.forecasts
    done = forecast.sent + forecast.latency_s
    # An event loop that computes can't answer until the forecast ends: never clearly before it.
    quick = [p for p in forecasts.probes if p.status == 200 and p.sent + p.latency_s < done - 0.02]
    assert len(quick) >= PROBES - 1, (
        f"GET /health, sent while a forecast was computing on the same process, was answered before the forecast "
        f"{len(quick)} times out of {PROBES} (after {', '.join(f'{p.latency_s:.2f}' for p in forecasts.probes)} s; "
        f"the forecast took {forecast.latency_s:.2f} s): the event loop was busy "
        "computing. CPU-bound work in an `async def` stops the whole process; run forecast() somewhere else "
        "(app/routes/products.py; README, 'Concurrency')"
    )


def test_forecasts_use_more_than_one_core(forecasts):
    if forecasts.problem:
        fail(forecasts.problem)
    total = sum(forecasts.cpu_s.values())
    busy = {pid: s for pid, s in forecasts.cpu_s.items() if s >= 0.2 * total}
    assert len(busy) >= 2, (
        f"forecasts on one process used {total:.2f} CPU seconds, and "
        f"{', '.join(f'{s / total:.0%}' for s in sorted(busy.values(), reverse=True))} of it in one process: "
        "pure-Python code holds the GIL, so threads take turns on one core. Run forecasts in a pool of worker "
        "processes - concurrent.futures.ProcessPoolExecutor (app/main.py; README, 'Concurrency')"
    )
