"""Part 'health': GET /health (R1, R2)."""

from concurrent.futures import ThreadPoolExecutor


def test_health_answers_ok(app):
    response = app.request("GET", "/health")
    assert response.status_code == 200, f"GET /health: expected 200, got {response.status_code}"
    assert response.json() == {"status": "ok"}, f'GET /health: expected {{"status": "ok"}}, got {response.text[:200]!r}'


def test_health_is_json(app):
    response = app.request("GET", "/health")
    assert response.status_code == 200, f"GET /health: expected 200, got {response.status_code}"
    content_type = response.headers.get("content-type", "")
    assert content_type.startswith("application/json"), (
        f"GET /health: expected Content-Type application/json, got {content_type!r}"
    )


# R2 asks for 100 answers 200, not for speed: on a loaded machine, where learner code runs at a
# lower priority than everything else, a correct app can take longer than request_timeout_s (3 s)
# to get through the queue of a burst.
BURST_TIMEOUT_S = 15


def test_health_survives_a_burst(app):
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(
            pool.map(lambda _: app.request("GET", "/health", timeout=BURST_TIMEOUT_S).status_code, range(100))
        )
    assert statuses.count(200) == 100, (
        f"100 health checks from 10 clients at once: expected 100 answers 200, got {statuses.count(200)} "
        f"(others: {sorted(set(statuses) - {200})})"
    )
