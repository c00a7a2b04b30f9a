"""Public tests for Lab 05: the basics, in seconds. Run them with `make test LAB=05-scaling`.

They start a throwaway Redis (redis-server must be installed), the services (downstream/app.py) in
a thread, and your app in-process, as one process. The graded (hidden) suite runs two processes
and asks much more: races, stampedes, bursts, overload, Redis going down, throughput.
"""

import pytest
from app.main import create_app
from downstream.app import DownstreamServer
from fastapi.testclient import TestClient

from shopdata.servers import ServerUnavailable, redis


@pytest.fixture(scope="module")
def services():
    try:
        with redis() as redis_url:
            server = DownstreamServer().start()
            server.slow_down(load_s=0.02, recommendations_s=0.01)
            yield redis_url, server
            server.stop()
    except ServerUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture
def client(services, monkeypatch):
    redis_url, server = services
    settings = {
        "REDIS_URL": redis_url,
        "CATALOGUE_URL": server.url,
        "RECOMMENDATIONS_URL": server.url,
        "RATE_LIMIT": "3",
        "RATE_WINDOW_SECONDS": "60",
        "RECOMMENDATIONS_TIMEOUT_SECONDS": "0.2",
        "FORECAST_PATHS": "200",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    with TestClient(create_app()) as test_client:
        yield test_client


def test_reads_are_cached(client, services):
    _, server = services
    for _ in range(3):
        response = client.get("/products/41", headers={"X-API-Key": "cache-test"})
        assert response.status_code == 200, response.text
        assert response.json() == server.product(41), "serve the product exactly as the catalogue has it"
    assert server.loads(41) == 1, (
        f"3 reads of product 41 made {server.loads(41)} catalogue queries, expected 1: cache it in Redis "
        "(app/cache.py; README, 'Caching')"
    )


def test_a_key_over_its_limit_gets_429_with_retry_after(client):
    statuses = [client.get("/products/42", headers={"X-API-Key": "limit-test"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429], f"RATE_LIMIT=3: expected 3 x 200 then 429, got {statuses}"
    refused = client.get("/products/42", headers={"X-API-Key": "limit-test"})
    assert refused.headers["content-type"].startswith("application/problem+json"), "a 429 is a problem too"
    assert refused.headers.get("Retry-After", "").isdigit(), "a 429 says when to come back: Retry-After"


def test_answers_carry_the_ratelimit_headers(client):
    response = client.get("/products/43", headers={"X-API-Key": "headers-test"})
    assert response.headers.get("RateLimit-Policy") == '"default";q=3;w=60', (
        f'expected RateLimit-Policy: "default";q=3;w=60, got {response.headers.get("RateLimit-Policy")!r}'
    )
    assert response.headers.get("RateLimit", "").startswith('"default";r=2;t='), (
        f'expected RateLimit: "default";r=2;t=..., got {response.headers.get("RateLimit")!r}'
    )


def test_slow_recommendations_are_skipped(client, services):
    _, server = services
    hold = server.hold("recommendations", [44], max_s=1.0)
    response = client.get("/products/44/recommendations", headers={"X-API-Key": "degraded-test"})
    hold.release()
    assert response.json() == {"product_id": 44, "recommendations": [], "degraded": True}, (
        "the service did not answer within RECOMMENDATIONS_TIMEOUT_SECONDS=0.2: answer without recommendations, "
        f"degraded (README, 'Overload'); got {response.status_code} {response.text}"
    )
