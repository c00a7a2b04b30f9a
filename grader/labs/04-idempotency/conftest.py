"""Fixtures of the Lab 04 suite: the trusted fake provider, and the learner's payments API pointed at it.

The provider is the suite's own copy (_provider.py), run in a thread of this trusted process on
127.0.0.1: a submission can't change how it counts charges. The learner's app runs as the learner,
with its own SQLite file in the scratch dir and the provider's URL in its environment.
"""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest

from _provider import ProviderServer
from grader._sandbox.learner import LearnerApp, LearnerCrash

BODY = {"order_id": "order-1001", "amount_cents": 2599, "currency": "EUR", "card": "tok_visa"}
PROBLEM_JSON = "application/problem+json"


class Provider:
    def __init__(self, server: ProviderServer):
        self.server, self.url = server, server.url
        # A fresh connection per call: uvicorn closes a connection idle for 5 s, and a call that
        # reuses it just then gets "Connection reset by peer" (seen once, in CI).
        self.http = httpx.Client(base_url=server.url, timeout=10, limits=httpx.Limits(max_keepalive_connections=0))

    def reset(self):
        self.http.post("/_admin/reset").raise_for_status()

    def faults(self, **faults):
        self.http.post("/_admin/faults", json=faults).raise_for_status()

    def charges(self) -> list[dict]:
        return self.http.get("/_admin/ledger").json()["charges"]

    def requests(self) -> list[dict]:
        return self.http.get("/_admin/ledger").json()["requests"]

    def wait_for_requests(self, count: int, timeout_s: float = 5, until=lambda: False) -> bool:
        """Wait until the provider has seen ``count`` requests (False on timeout, or as soon as ``until()``)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not until():
            if len(self.requests()) >= count:
                return True
            time.sleep(0.02)
        return False


class Payments:
    """The learner's API, with one client identity and helpers to pay."""

    def __init__(self, app: LearnerApp, client_id: str):
        self.app, self.client_id = app, client_id

    def pay(self, key: str | None, body=BODY, client_id: str | None = None, **kwargs) -> httpx.Response:
        headers = {"X-Client-Id": client_id or self.client_id, **kwargs.pop("headers", {})}
        if key is not None:
            headers["Idempotency-Key"] = key
        if "content" in kwargs:
            headers.setdefault("Content-Type", "application/json")
            return self.app.request("POST", "/payments", headers=headers, **kwargs)
        return self.app.request("POST", "/payments", json=body, headers=headers, **kwargs)


def new_key() -> str:
    return str(uuid.uuid4())


def app_env(sandbox, provider: Provider, **extra) -> dict[str, str]:
    env = {
        "DATABASE_URL": f"sqlite:///{sandbox.scratch_dir}/payments-{uuid.uuid4().hex}.db",
        "PROVIDER_URL": provider.url,
        "PROVIDER_TIMEOUT_SECONDS": "5",
        "IDEMPOTENCY_LOCK_SECONDS": "10",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


@pytest.fixture(scope="session")
def _provider_server():
    server = ProviderServer().start()
    yield Provider(server)
    server.stop()


@pytest.fixture
def provider(_provider_server) -> Provider:
    _provider_server.reset()
    return _provider_server


@pytest.fixture(scope="session")
def _shared_app(sandbox, _provider_server):
    app = LearnerApp(sandbox, env=app_env(sandbox, _provider_server))
    yield app
    app.stop()


@pytest.fixture
def payments(_shared_app, provider) -> Payments:
    """The learner's app (shared by the tests; each test is a new client with new keys)."""
    try:
        _shared_app.ensure_running()
    except LearnerCrash as exc:
        pytest.fail(str(exc), pytrace=False)
    return Payments(_shared_app, f"client-{uuid.uuid4().hex[:12]}")


def require_working_payments(payments: Payments, provider: Provider) -> None:
    """Fail fast - before starting more app processes - when a plain payment doesn't work yet."""
    response = payments.pay(new_key())
    assert response.status_code == 201, f"this test needs a working POST /payments first; a plain payment got {describe(response)}"
    provider.reset()


def in_parallel(functions) -> list:
    """Run the functions in threads, released together; their results (or exceptions) in order."""
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def run(i, function):
        barrier.wait()
        try:
            results[i] = function()
        except Exception as exc:  # noqa: BLE001 - reported by the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def is_problem(response: httpx.Response, status: int) -> bool:
    if response.status_code != status or not response.headers.get("content-type", "").startswith(PROBLEM_JSON):
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("status") == status and isinstance(body.get("title"), str)


def describe(response: httpx.Response) -> str:
    return f"{response.status_code} {response.headers.get('content-type', '')} {response.text[:200]}"
