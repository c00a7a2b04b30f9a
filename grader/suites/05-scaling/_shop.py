"""The learner's app as the suite sees it: two processes with one set of settings (``Shop``), the
settings the suite runs them with, and helpers to check what they answer."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from _load import Call, Reply

from grader.testing import LearnerApp, LearnerCrash, SandboxConfig, fail, running

API_KEY = "X-API-Key"
PROBLEM_JSON = "application/problem+json"

# Most tests: long timers, so nothing expires or resets while a test runs.
MAIN = {
    "CACHE_TTL_SECONDS": "300",
    "RATE_LIMIT": "10",
    "RATE_WINDOW_SECONDS": "3600",
    "POOL_SIZE": "8",
    "POOL_TIMEOUT_SECONDS": "3",
    "RECOMMENDATIONS_TIMEOUT_SECONDS": "30",
    # Generous: on a busy machine a Redis reply can take half a second, and a timeout there would look
    # like Redis being down (a read from the catalogue: one query too many). Redis down is SHORT's test.
    "REDIS_TIMEOUT_SECONDS": "3",
    "FORECAST_PATHS": "30000",
}
# Tests of what happens as time passes: short timers, and a Redis the suite can stop.
SHORT = {
    **MAIN,
    "CACHE_TTL_SECONDS": "1",
    "RATE_LIMIT": "5",
    "RATE_WINDOW_SECONDS": "2",
    "POOL_SIZE": "4",
    "POOL_TIMEOUT_SECONDS": "0.25",
    "RECOMMENDATIONS_TIMEOUT_SECONDS": "0.3",
    "REDIS_TIMEOUT_SECONDS": "0.25",
}

_ids = itertools.count(10_001)
_ids_lock = threading.Lock()


def fresh_ids(n: int) -> list[int]:
    """Product ids no other test has used: cold in every cache."""
    with _ids_lock:
        return [next(_ids) for _ in range(n)]


def fresh_id() -> int:
    return fresh_ids(1)[0]


def fresh_key() -> str:
    return f"key-{uuid.uuid4().hex[:16]}"


class Shop:
    """The learner's app as two processes (0 and 1) with one environment, as behind a load
    balancer. Every request gets a fresh API key unless the test gives one."""

    def __init__(self, sandbox: SandboxConfig, env: dict[str, str], settings: dict[str, str]):
        self.settings = settings
        self.apps = [LearnerApp(sandbox, env={**env, **settings}) for _ in range(2)]

    def ready(self) -> Shop:
        """Both processes running (started together; a start that fails fails the test)."""
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(running, self.apps))
        return self

    def stop(self) -> None:
        for app in self.apps:
            app.stop()

    def setting(self, name: str) -> float:
        return float(self.settings[name])

    @property
    def pids(self) -> list[int]:
        return [app.process.pid for app in self.apps if app.alive]

    def call(self, path: str, *, via: int = 0, key: str | None = None, method="GET", body=None) -> Call:
        headers = {API_KEY: key} if key is not None else {API_KEY: fresh_key()}
        return Call(self.apps[via].url, path, method, headers, body)

    def request(self, path: str, *, via: int = 0, key: str | None = "", method="GET", body=None, headers=None) -> Reply:
        """One request to process ``via``; ``key=None`` sends no API key, ``""`` a fresh one."""
        all_headers = {} if key is None else {API_KEY: key or fresh_key()}
        all_headers.update(headers or {})
        app, sent = self.apps[via], time.monotonic()
        try:
            response = app.request(method, path, headers=all_headers, json=body)
        except LearnerCrash as exc:
            fail(str(exc))
        return Reply.of(Call(app.url, path, method, all_headers, body), response, sent)

    def product(self, product_id: int, *, via: int = 0, key: str | None = "") -> Reply:
        return self.request(f"/products/{product_id}", via=via, key=key)

    def patch(self, product_id: int, changes: dict, *, via: int = 0) -> Reply:
        return self.request(f"/products/{product_id}", via=via, method="PATCH", body=changes)


def wrong_product(answer: Reply, expected: dict) -> str:
    """Why ``answer`` is not 200 with exactly the product ``expected`` ("" if it is)."""
    if answer.status != 200 or answer.json() != expected:
        return f"GET /products/{expected['id']} should answer 200 with {expected}, got {answer.describe()}"
    return ""


def require_caching(shop: Shop, downstream) -> None:
    """Fail fast, with one clear message, when reads of one process are not cached yet."""
    product_id = fresh_id()
    for _ in range(2):
        answer = shop.product(product_id)
        if problem := wrong_product(answer, downstream.product(product_id)):
            fail(f"this test needs working product reads first: {problem}")
    if downstream.loads(product_id) > 1:
        fail(
            "this test needs a cache first: two reads of one product on one process made "
            f"{downstream.loads(product_id)} catalogue queries (ProductCache.get in app/cache.py; README, 'Caching')"
        )


def is_problem(answer: Reply, status: int) -> bool:
    body = answer.json()
    return (
        answer.status == status
        and (answer.header("content-type") or "").startswith(PROBLEM_JSON)
        and isinstance(body, dict)
        and body.get("status") == status
    )


def retry_after(answer: Reply) -> int | None:
    """Retry-After as whole seconds (the delay-seconds form), or None if missing or not that."""
    value = answer.header("Retry-After")
    return int(value) if value is not None and value.strip().isdigit() else None


def in_background(function):
    """Run ``function`` in a thread; ``.result(timeout)`` waits for what it returned."""
    pool = ThreadPoolExecutor(1)
    future = pool.submit(function)
    pool.shutdown(wait=False)
    return future


def wait_for(condition, timeout_s: float, every_s: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every_s)
    return True
