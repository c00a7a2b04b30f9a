"""Public tests for Lab 00: the basics, in seconds. Run them with `make test LAB=00-hello`.

The graded (hidden) suite asks more: hostile input, rounding, boundaries, load.
"""

import pytest
from app.main import app
from app.pricing import quote_total
from fastapi.testclient import TestClient

client = TestClient(app)


def test_health_says_ok():
    response = client.get("/health")
    assert response.status_code == 200, f"GET /health should answer 200, got {response.status_code}: {response.text}"
    assert response.json() == {"status": "ok"}, 'GET /health should answer the JSON {"status": "ok"}'


def test_quote_for_three_classic_ducks():
    response = client.post("/quotes", json={"sku": "DUCK-001", "quantity": 3})
    assert response.status_code == 200, f"POST /quotes should answer 200 for a valid quote, got {response.status_code}"
    assert response.json() == {"sku": "DUCK-001", "quantity": 3, "unit_price_cents": 499, "total_cents": 1497}


def test_quantity_zero_is_rejected_with_422():
    response = client.post("/quotes", json={"sku": "DUCK-001", "quantity": 0})
    assert response.status_code == 422, (
        f"quantity 0 should be rejected by validation (422), got {response.status_code}: "
        "declare the limits on your Pydantic model (README, 'The contract')"
    )


def test_bulk_discount_rounds_half_up():
    # 15 pirate ducks: 13485 cents, 10% off = 12136.5 -> 12137 (half up), not 12136 (round() rounds half to even)
    assert quote_total(899, 15) == 12137


def test_quote_total_rejects_zero_ducks():
    with pytest.raises(ValueError):
        quote_total(899, 0)
