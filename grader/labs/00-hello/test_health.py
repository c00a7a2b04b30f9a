from concurrent.futures import ThreadPoolExecutor


def test_health_answers_ok(app):
    response = app.request("GET", "/health")
    assert response.status_code == 200, f"GET /health answered {response.status_code}, expected 200"
    assert response.json() == {"status": "ok"}, f"GET /health answered {response.text[:200]!r}, expected {{\"status\": \"ok\"}}"


def test_health_is_json(app):
    response = app.request("GET", "/health")
    assert response.status_code == 200, f"GET /health answered {response.status_code}, expected 200"
    content_type = response.headers.get("content-type", "")
    assert content_type.startswith("application/json"), f"GET /health has Content-Type {content_type!r}, expected application/json"


def test_health_survives_a_burst(app):
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(lambda _: app.request("GET", "/health").status_code, range(100)))
    assert statuses.count(200) == 100, f"only {statuses.count(200)} of 100 concurrent GET /health answered 200 (others: {sorted(set(statuses))})"
