"""Authorisation: your own orders only (no IDOR), no mass assignment, staff-only product updates."""

from _shop import customer, place_order, staff


def test_another_customers_order_is_404(app):
    _, alice = customer(app)
    _, bob = customer(app)
    order = place_order(app, alice, [{"product_id": 1, "quantity": 1}])
    mine = app.request("GET", f"/orders/{order['id']}", headers=alice)
    assert mine.status_code == 200, f"Alice reads her own order: expected 200, got {mine.status_code}"
    theirs = app.request("GET", f"/orders/{order['id']}", headers=bob)
    assert theirs.status_code == 404, (
        f"Bob asked for Alice's order {order['id']}: expected 404 (as if it didn't exist), got {theirs.status_code}. "
        "Checking only that the caller is logged in is an insecure direct object reference."
    )
    assert order["customer_id"] != theirs.json().get("customer_id"), "Bob must not see Alice's order"


def test_order_list_shows_only_your_own(app):
    alice_me, alice = customer(app)
    _, bob = customer(app)
    placed = [place_order(app, alice, [{"product_id": 2, "quantity": n}])["id"] for n in (1, 2, 3)]
    place_order(app, bob, [{"product_id": 3, "quantity": 1}])
    listing = app.request("GET", "/orders?limit=2", headers=alice)
    assert listing.status_code == 200, f"GET /orders answered {listing.status_code}: {listing.text[:200]}"
    seen = [o["id"] for o in listing.json()["items"]]
    cursor = listing.json().get("next_cursor")
    assert cursor, "3 orders, 2 per page: there is a next page"
    seen += [o["id"] for o in app.request("GET", "/orders", params={"limit": 2, "cursor": cursor}, headers=alice).json()["items"]]
    assert seen == sorted(placed, reverse=True), f"Alice's orders, newest first: expected {sorted(placed, reverse=True)}, got {seen}"


def test_clients_cannot_set_prices_or_totals(app):
    me, headers = customer(app)
    price = app.request("GET", "/products/4").json()["price_cents"]
    sneaky_line = {"product_id": 4, "quantity": 3, "unit_price_cents": 1, "price_cents": 1}
    body = {"items": [sneaky_line], "total_cents": 3, "status": "paid", "customer_id": me["id"] + 1000, "id": 1}
    response = app.request("POST", "/orders", json=body, headers=headers)
    assert response.status_code in (201, 422), f"extra fields are ignored (201) or refused (422), got {response.status_code}"
    if response.status_code == 201:
        order = response.json()
        assert order["items"][0]["unit_price_cents"] == price, "the unit price comes from the catalogue, never from the client"
        assert order["total_cents"] == 3 * price, f"the total is computed by the server: 3 x {price}, got {order['total_cents']}"
        assert order["status"] == "pending" and order["customer_id"] == me["id"], "status and owner are the server's to set"
    assert app.request("GET", "/products/4").json()["price_cents"] == price, "an order must not change the catalogue"


def test_clients_cannot_make_themselves_staff(shop):
    response = shop.request(
        "POST", "/customers", json={"email": "mallory@example.com", "password": "mallory-pass", "name": "M", "role": "admin"}
    )
    assert response.status_code in (201, 422), f"an extra role is ignored (201) or refused (422), got {response.status_code}"
    stored = shop.sql("SELECT role FROM customers WHERE email = 'mallory@example.com'")
    assert stored in ([], [("customer",)]), f"registering with role=admin stored the role {stored}: mass assignment"
    if response.status_code == 201:
        assert response.json()["role"] == "customer", "a new account is a customer, whatever the request says"


def test_customers_cannot_update_products(shop):
    _, headers = customer(shop)
    before = shop.request("GET", "/products/5")
    etag = before.headers.get("etag", '"x"')
    response = shop.request("PATCH", "/products/5", json={"price_cents": 1}, headers={**headers, "If-Match": etag})
    assert response.status_code == 403, f"a customer (not staff) changing a price: expected 403 Forbidden, got {response.status_code}"
    assert shop.request("GET", "/products/5").json() == before.json(), "a forbidden update must change nothing"
    admin = staff(shop)
    allowed = shop.request("PATCH", "/products/5", json={"price_cents": 1234}, headers={**admin, "If-Match": etag})
    assert allowed.status_code == 200, f"staff may update products, got {allowed.status_code}: {allowed.text[:200]}"
