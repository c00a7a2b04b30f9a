from _reference import CATALOGUE, reference_total


def quote(app, sku, quantity):
    return app.request("POST", "/quotes", json={"sku": sku, "quantity": quantity})


def test_quote_for_one_duck(app):
    response = quote(app, "DUCK-003", 1)
    assert response.status_code == 200, f"POST /quotes for 1 DUCK-003 answered {response.status_code}, expected 200"
    assert response.json().get("total_cents") == 1299, f"1 Astronaut Duck should cost 1299 cents, got {response.text[:200]}"


def test_quote_has_exactly_the_documented_fields(app):
    body = quote(app, "DUCK-001", 2).json()
    assert body == {"sku": "DUCK-001", "quantity": 2, "unit_price_cents": 499, "total_cents": 998}, f"got {body}"
    assert all(type(body[k]) is int for k in ("quantity", "unit_price_cents", "total_cents")), "cents must be JSON integers"


def test_quotes_match_the_pricing_rule(app):
    for sku, price in CATALOGUE.items():
        for quantity in (1, 9, 10, 11, 15, 999, 1000):
            response = quote(app, sku, quantity)
            expected = reference_total(price, quantity)
            assert response.status_code == 200, f"{quantity} x {sku}: status {response.status_code}, expected 200"
            got = response.json().get("total_cents")
            assert got == expected, f"{quantity} x {sku} at {price} cents: total_cents {got}, expected {expected}"


def test_unknown_sku_is_404(app):
    for sku in ("DUCK-999", "duck-001", "GOOSE-001"):
        response = quote(app, sku, 1)
        assert response.status_code == 404, f"sku {sku!r} isn't sold: expected 404, got {response.status_code}"
