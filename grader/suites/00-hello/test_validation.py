"""Part 'validation': invalid and hostile input is refused with a 4xx, never a 5xx (R5-R8)."""

import json

import pytest

GOOD = {"sku": "DUCK-001", "quantity": 1}
JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(
    "body",
    [
        *({**GOOD, "quantity": quantity} for quantity in (0, -1, 1001, 2.5, "3", "many", None, True, 10**30)),
        {"quantity": 1},
        {"sku": "", "quantity": 1},
        {"sku": 1, "quantity": 1},
        {"sku": None, "quantity": 1},
        {"sku": "D" * 33, "quantity": 1},
        {"sku": "D" * 10_000, "quantity": 1},
    ],
    ids=[
        *(f"quantity-{name}" for name in ("0", "-1", "1001", "2.5", "string-3", "many", "null", "true", "10e30")),
        *(f"sku-{name}" for name in ("missing", "empty", "number", "null", "33-chars", "10k-chars")),
    ],
)
def test_invalid_fields_are_422(app, body):
    response = app.request("POST", "/quotes", json=body)
    assert response.status_code == 422, f"body {json.dumps(body)[:80]}: expected 422, got {response.status_code}"


@pytest.mark.parametrize("content", ["[]", "", '"DUCK-001"', "null"], ids=["list", "empty", "string", "null"])
def test_a_body_that_is_not_an_object_is_422(app, content):
    response = app.request("POST", "/quotes", content=content, headers=JSON)
    assert response.status_code == 422, f"body {content!r}: expected 422, got {response.status_code}"


@pytest.mark.parametrize("content", ["{", '{"sku": "DUCK-001", "quantity": }', "{'sku': 'DUCK-001'}"])
def test_broken_json_is_400(app, content):
    response = app.request("POST", "/quotes", content=content, headers=JSON)
    assert response.status_code == 400, (
        f"body {content!r} is not valid JSON: expected 400 (RFC 9110; FastAPI's default is 422), "
        f"got {response.status_code}"
    )


HOSTILE = [
    {"sku": "DUCK-001' OR '1'='1", "quantity": 1},
    {"sku": "DUCK-001\u0000", "quantity": 1},
    {"sku": "🦆" * 16, "quantity": 1},
    {"sku": {"$ne": None}, "quantity": 1},
    {"sku": "DUCK-001", "quantity": 1e308},
    {"sku": "DUCK-001", "quantity": -(2**63)},
]


def test_hostile_input_never_causes_a_5xx(app):
    priced_by_client = app.request("POST", "/quotes", json={**GOOD, "unit_price_cents": 0, "total_cents": 0})
    assert priced_by_client.status_code == 200, (
        f"unknown fields are ignored (R7): expected 200, got {priced_by_client.status_code}"
    )
    assert priced_by_client.json().get("total_cents") == 499, (
        f"the client sent unit_price_cents 0: expected the catalogue's price 499, got {priced_by_client.text[:200]}"
    )
    for body in HOSTILE:
        response = app.request("POST", "/quotes", json=body)
        assert response.status_code < 500, f"body {json.dumps(body)[:80]}: expected a 4xx, got {response.status_code}"
    nested = "[" * 5000 + "]" * 5000
    response = app.request("POST", "/quotes", content=nested, headers=JSON)
    assert response.status_code < 500, f"deeply nested JSON: expected a 4xx, got {response.status_code}"
    response = app.request("POST", "/quotes", json=GOOD)
    assert response.status_code == 200, f"after hostile input, a valid quote: expected 200, got {response.status_code}"
