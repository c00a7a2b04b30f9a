"""Part 'quotes': POST /quotes answers priced quotes and 404 for skus it doesn't sell (R3, R4)."""

from _reference import CATALOGUE

from grader.testing import call

QUOTE_TOTAL = "app.pricing:quote_total"


def quote(app, sku, quantity):
    return app.request("POST", "/quotes", json={"sku": sku, "quantity": quantity})


def test_quote_for_one_duck(app):
    response = quote(app, "DUCK-003", 1)
    assert response.status_code == 200, f"POST /quotes for 1 DUCK-003: expected 200, got {response.status_code}"
    assert response.json().get("total_cents") == 1299, (
        f"1 Astronaut Duck: expected total_cents 1299, got {response.text[:200]}"
    )


def test_quote_has_exactly_the_documented_fields(app):
    response = quote(app, "DUCK-001", 2)
    assert response.status_code == 200, f"POST /quotes for 2 DUCK-001: expected 200, got {response.status_code}"
    body = response.json()
    expected = {"sku": "DUCK-001", "quantity": 2, "unit_price_cents": 499, "total_cents": 998}
    assert body == expected, f"expected exactly {expected}, got {body}"
    assert all(type(body[k]) is int for k in ("quantity", "unit_price_cents", "total_cents")), (
        f"cents are JSON integers, got {body}"
    )


def test_quotes_match_the_pricing_rule(app, learner):
    for sku, price in CATALOGUE.items():
        for quantity in (1, 9, 10, 11, 15, 999, 1000):
            response = quote(app, sku, quantity)
            assert response.status_code == 200, f"{quantity} x {sku}: expected 200, got {response.status_code}"
            body = response.json()
            assert body.get("unit_price_cents") == price, (
                f"{quantity} x {sku}: expected unit_price_cents {price} (app/catalogue.py), got {body}"
            )
            expected = call(learner, QUOTE_TOTAL, price, quantity)
            assert body.get("total_cents") == expected, (
                f"{quantity} x {sku}: expected total_cents {expected}, what your quote_total({price}, {quantity}) "
                f"returns, got {body.get('total_cents')!r}"
            )


def test_unknown_sku_is_404(app):
    for sku in ("DUCK-999", "duck-001", "GOOSE-001", "D", "D" * 32):  # well-formed: 1 to 32 characters
        response = quote(app, sku, 1)
        assert response.status_code == 404, f"sku {sku!r} isn't sold: expected 404, got {response.status_code}"
