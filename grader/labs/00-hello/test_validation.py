import json

import pytest

GOOD = {"sku": "DUCK-001", "quantity": 1}


@pytest.mark.parametrize("quantity", [0, -1, 1001, 2.5, "3", "many", None, True, 10**30])
def test_bad_quantity_is_422(app, quantity):
    response = app.request("POST", "/quotes", json={**GOOD, "quantity": quantity})
    assert response.status_code == 422, f"quantity {quantity!r}: expected 422, got {response.status_code}"


@pytest.mark.parametrize("body", [
    {"quantity": 1},
    {"sku": "", "quantity": 1},
    {"sku": 1, "quantity": 1},
    {"sku": None, "quantity": 1},
    {"sku": "D" * 10_000, "quantity": 1},
], ids=["missing", "empty", "number", "null", "10k-chars"])
def test_bad_sku_is_422(app, body):
    response = app.request("POST", "/quotes", json=body)
    assert response.status_code == 422, f"body {json.dumps(body)[:80]}: expected 422, got {response.status_code}"


@pytest.mark.parametrize("content", ["{", "[]", "", '"DUCK-001"', "null"], ids=["broken", "list", "empty", "string", "null"])
def test_malformed_body_is_422(app, content):
    response = app.request("POST", "/quotes", content=content, headers={"content-type": "application/json"})
    assert response.status_code == 422, f"body {content!r}: expected 422, got {response.status_code}"


HOSTILE = [
    {"sku": "DUCK-001' OR '1'='1", "quantity": 1},
    {"sku": "DUCK-001\u0000", "quantity": 1},
    {"sku": "🦆" * 16, "quantity": 1},
    {"sku": {"$ne": None}, "quantity": 1},
    {"sku": "DUCK-001", "quantity": 1, "unit_price_cents": 0},
    {"sku": "DUCK-001", "quantity": 1e308},
    {"sku": "DUCK-001", "quantity": -(2**63)},
]


def test_hostile_input_never_causes_a_5xx(app):
    for body in HOSTILE:
        response = app.request("POST", "/quotes", json=body)
        assert response.status_code < 500, f"body {json.dumps(body)[:80]}: the server failed with {response.status_code}"
        if "unit_price_cents" in body and response.status_code == 200:
            assert response.json()["total_cents"] == 499, "a client must not be able to set its own price"
    nested = "[" * 5000 + "]" * 5000
    response = app.request("POST", "/quotes", content=nested, headers={"content-type": "application/json"})
    assert response.status_code < 500, f"deeply nested JSON: the server failed with {response.status_code}"
    response = app.request("POST", "/quotes", json=GOOD)
    assert response.status_code == 200, f"after hostile input, a valid quote answered {response.status_code}"
