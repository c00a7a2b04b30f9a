"""Public tests for Lab 06: the basics, in seconds. Run them with `make test LAB=06-reliability`.

They run the given shipping service (shipping/app.py) in a thread; the graded (hidden) suite also
makes it slow, fail, hang and stall, and asks much more.
"""

import importlib.util
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def shipping():
    spec = importlib.util.spec_from_file_location(
        "shipping_service", Path(__file__).resolve().parents[1] / "shipping" / "app.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    server = module.ShippingServer().start()
    yield server
    server.stop()


@pytest.fixture
def client(shipping, tmp_path, monkeypatch):
    monkeypatch.setenv("SHIPPING_URL", shipping.url)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "orders.db"))
    monkeypatch.setenv("BREAKER_FAILURES", "3")
    from app.main import create_app

    with TestClient(create_app()) as client:
        yield client


ORDER = {"postcode": "NW1", "items": [{"price_cents": 1299, "quantity": 2}]}


def test_a_checkout_gets_the_live_rate(client):
    response = client.post("/checkout", json=ORDER)
    assert response.status_code == 201, f"POST /checkout should answer 201, got {response.status_code}: {response.text}"
    body = response.json()
    assert body["shipping_source"] == "live", f"a healthy shipping service gives a live rate: {body}"
    assert body["total_cents"] == 2598 + body["shipping_cents"], f"total = subtotal + shipping: {body}"


def test_a_failing_service_gets_the_fallback(client, shipping):
    shipping.fail(503)
    try:
        response = client.post("/checkout", json=ORDER)
    finally:
        shipping.recover()
    assert response.status_code == 201, f"a failing shipping service must not fail the checkout: {response.text}"
    assert response.json()["shipping_source"] == "fallback", f"say it is a fallback: {response.text}"


def test_the_request_id_comes_back(client):
    response = client.post("/checkout", json=ORDER, headers={"X-Request-ID": "public-test-1"})
    assert response.headers.get("x-request-id") == "public-test-1", "answer the request's X-Request-ID"


def test_liveness_and_metrics(client):
    assert client.get("/health/live").status_code == 200, "GET /health/live should answer 200"
    assert client.get("/health/ready").status_code == 200, "GET /health/ready should answer 200 with the database up"
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and "http_requests_total" in metrics.text, "GET /metrics: http_requests_total"


def test_the_breaker_opens_after_the_failures():
    from app.breaker import CircuitBreaker

    now = [0.0]
    breaker = CircuitBreaker(failures=3, cooldown_s=10, clock=lambda: now[0])
    for _ in range(3):
        assert breaker.allow(), "a closed breaker lets calls through"
        breaker.failure()
    assert not breaker.allow(), "3 failures in a row (failures=3) open the breaker"
    now[0] = 10.5
    assert breaker.allow(), "after the cool-down one probe may go out"
    assert not breaker.allow(), "...and only one"
    breaker.success()
    assert breaker.allow(), "a successful probe closes the breaker"
