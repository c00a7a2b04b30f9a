"""Orders and authorisation: what an order holds, whose it is, your own list newest first, no
mass assignment, customers can't edit products (README, R22, R34-R38)."""

import re
from datetime import UTC, datetime

from _shop import expect, ids, json_of, next_url, page_of

from grader.testing import fail

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$")


def place(shop, customer, items, what="POST /orders") -> dict:
    response = expect(
        shop.request("POST", "/orders", json={"items": items}, headers=customer.headers), 201, what, "R34"
    )
    return json_of(response, what)


def test_an_order_is_201_with_a_location(shop):
    alice = shop.add_customer()
    response = expect(
        shop.request("POST", "/orders", json={"items": [{"product_id": 1, "quantity": 2}]}, headers=alice.headers),
        201,
        "POST /orders",
        "R34",
    )
    order = json_of(response, "POST /orders")
    location = response.headers.get("location", "")
    if not location.rstrip("/").endswith(f"/orders/{order.get('id')}"):
        fail(f"a 201 Created carries Location: /orders/{order.get('id')} (R34), got {location!r}")
    followed = shop.request("GET", location, headers=alice.headers)
    if followed.status_code != 200 or json_of(followed, f"GET {location}") != order:
        fail(
            f"GET {location} (the Location) returns the order just created (R34), got {followed.status_code} {followed.text[:150]!r}"
        )


def test_an_order_holds_catalogue_prices_in_the_order_sent(shop):
    alice = shop.add_customer()
    (cheap, dear, mid) = shop.insert_products([250, 4999, 1099], "orders")
    lines = [(dear, 2), (cheap, 5), (mid, 1)]
    order = place(shop, alice, [{"product_id": p, "quantity": q} for p, q in lines])
    price = {p: shop.product_row(p)["price_cents"] for p, _ in lines}
    want_items = [{"product_id": p, "quantity": q, "unit_price_cents": price[p]} for p, q in lines]
    if order.get("items") != want_items:
        fail(
            f"the order's items, in the order sent, with catalogue prices: expected {want_items}, got {order.get('items')} (R34)"
        )
    total = sum(q * price[p] for p, q in lines)
    if order.get("total_cents") != total:
        fail(f"total_cents is the sum of quantity x unit price, {total} (R34), got {order.get('total_cents')}")
    if order.get("status") != "pending" or order.get("customer_id") != alice.id:
        fail(
            f'a new order is "pending" and belongs to its customer {alice.id} (R34), got {order.get("status")!r}, {order.get("customer_id")!r}'
        )


def test_an_unknown_product_is_422_at_its_line(shop):
    alice = shop.add_customer()
    items = [{"product_id": 1, "quantity": 1}, {"product_id": 987654321, "quantity": 1}]
    response = expect(
        shop.request("POST", "/orders", json={"items": items}, headers=alice.headers),
        422,
        "an order for a product that doesn't exist",
        "R34",
    )
    body = json_of(response, "the 422")
    pointers = [e.get("pointer") for e in body.get("errors") or [] if isinstance(e, dict)]
    if "#/items/1/product_id" not in pointers:
        fail(f"point at the unknown product, '#/items/1/product_id' (R34), got {body.get('errors')}")
    if shop.sql("SELECT count(*) FROM orders WHERE customer_id = ?", (alice.id,))[0][0]:
        fail("a refused order must not be stored (R34)")


def test_created_at_is_rfc3339_in_utc(shop):
    alice = shop.add_customer()
    before = datetime.now(UTC)
    placed = place(shop, alice, [{"product_id": 3, "quantity": 1}])
    old = shop.add_order(alice.id, "2020-01-02 03:04:05.000000")
    listed = json_of(shop.request("GET", f"/orders/{old}", headers=alice.headers), f"GET /orders/{old}")
    for what, value in (
        ("a new order", placed.get("created_at")),
        ("an order stored at 2020-01-02 03:04:05 UTC", listed.get("created_at")),
    ):
        if not (isinstance(value, str) and RFC3339_UTC.match(value)):
            fail(
                f"created_at of {what} is RFC 3339 in UTC with its offset, e.g. 2026-03-01T12:00:00.123456Z (R35), got {value!r}"
            )
    stamp = datetime.fromisoformat(placed["created_at"].replace("Z", "+00:00"))
    if abs((stamp - before).total_seconds()) > 300:
        fail(f"created_at of an order placed at {before.isoformat()} is {placed['created_at']} (R35)")
    if not listed["created_at"].startswith("2020-01-02T03:04:05"):
        fail(
            f"an order stored at 2020-01-02 03:04:05 (UTC) is created_at 2020-01-02T03:04:05Z (R35), got {listed['created_at']!r}"
        )


def test_clients_cannot_set_prices_totals_or_owners(shop):
    me, other = shop.add_customer(), shop.add_customer()
    (product,) = shop.insert_products([1299], "orders")
    sneaky = [
        {"items": [{"product_id": product, "quantity": 3, "unit_price_cents": 1}]},
        {"items": [{"product_id": product, "quantity": 3}], "total_cents": 3},
        {"items": [{"product_id": product, "quantity": 3}], "status": "paid"},
        {"items": [{"product_id": product, "quantity": 3}], "customer_id": other.id},
        {"items": [{"product_id": product, "quantity": 3}], "id": 1},
    ]
    for body in sneaky:
        response = shop.request("POST", "/orders", json=body, headers=me.headers)
        if response.status_code not in (201, 422):
            fail(f"POST /orders {body}: extra fields are refused (422, R6), got {response.status_code}")
    rows = shop.sql(
        "SELECT id, customer_id, status, total_cents FROM orders WHERE customer_id IN (?, ?)", (me.id, other.id)
    )
    lines = shop.sql("SELECT unit_price_cents FROM order_items WHERE product_id = ?", (product,))
    wrong = [row for row in rows if row[1] != me.id or row[2] != "pending" or row[3] != 3 * 1299]
    if wrong or any(price != 1299 for (price,) in lines):
        fail(f"a client set a price, total, status, owner or id: stored orders {rows}, unit prices {lines} (R36)")


def test_the_order_list_shows_your_own_newest_first(shop):
    alice, bob = shop.add_customer(), shop.add_customer()
    placed = [place(shop, alice, [{"product_id": 2, "quantity": n}])["id"] for n in (1, 2, 3)]
    place(shop, bob, [{"product_id": 3, "quantity": 1}])
    imported = shop.add_order(alice.id, "2020-01-02 03:04:05.000000")  # newest by id, oldest by date
    response = expect(shop.request("GET", "/orders", headers=alice.headers), 200, "GET /orders", "R37")
    items, cursor = page_of(response, "GET /orders")
    want = [imported, *reversed(placed)]
    if ids(items) != want:
        fail(f"Alice's orders, newest first by id: expected {want}, got {ids(items)} (R37)")
    if cursor is not None:
        fail(f"4 orders fit on a page of 20: next_cursor is null (R16, R37), got {cursor!r}")


def test_the_order_list_pages_with_cursors_of_its_own(shop):
    alice = shop.add_customer()
    orders = [shop.add_order(alice.id, f"2026-01-0{day} 10:00:00.000000") for day in range(1, 6)]
    url, seen, pages, cursors = "/orders?limit=2", [], [], []
    while url and len(pages) < 6:
        response = shop.request("GET", url, headers=alice.headers)
        items, cursor = page_of(response, f"GET {url}")
        seen += ids(items)
        pages.append(len(items))
        cursors.append(cursor)
        url = next_url(response, shop.url, url)
        if bool(url) != bool(cursor):
            fail(f'GET /orders: next_cursor {cursor!r} and the Link rel="next" go together (R16, R37)')
    if seen != orders[::-1] or pages != [2, 2, 1]:
        fail(
            f"5 orders, 2 per page, newest first: expected {orders[::-1]} in pages [2, 2, 1], got {seen} in {pages} (R37)"
        )
    _, product_cursor = page_of(shop.request("GET", "/products?sort=-id&limit=2"), "GET /products?sort=-id&limit=2")
    borrowed = shop.request("GET", "/orders", params={"cursor": product_cursor}, headers=alice.headers)
    expect(borrowed, 400, "GET /orders with a cursor from GET /products?sort=-id", "R19")
    lent = shop.request("GET", "/products", params={"sort": "-id", "cursor": cursors[0]})
    expect(lent, 400, "GET /products?sort=-id with a cursor from GET /orders", "R19")


def test_another_customers_order_is_404(shop):
    alice, bob = shop.add_customer(), shop.add_customer()
    order = place(shop, alice, [{"product_id": 1, "quantity": 1}])
    expect(
        shop.request("GET", f"/orders/{order['id']}", headers=alice.headers), 200, "Alice reads her own order", "R38"
    )
    theirs = shop.request("GET", f"/orders/{order['id']}", headers=bob.headers)
    missing = shop.request("GET", "/orders/987654321", headers=bob.headers)
    expect(
        theirs, 404, f"Bob asks for Alice's order {order['id']} (checking only that he is logged in is an IDOR)", "R38"
    )
    if _without(theirs.text, order["id"]) != _without(missing.text, 987654321):
        fail(
            f"someone else's order gets the same answer as one that doesn't exist (R38): {theirs.text[:120]!r} vs {missing.text[:120]!r}"
        )


def _without(text: str, number: int) -> str:
    return re.sub(rf"\b{number}\b", "N", text)


def test_customers_cannot_update_products(shop):
    customer = shop.add_customer()
    (product_id,) = shop.insert_products([777], "orders")
    before = shop.product_row(product_id)
    for body in ({"price_cents": 1}, {"price_cents": -5}, {"colour": "gold"}):
        response = shop.request(
            "PATCH", f"/products/{product_id}", json=body, headers={**customer.headers, "If-Match": "*"}
        )
        expect(response, 403, f"a customer (not staff) sending PATCH {body}", "R22")
    if shop.product_row(product_id) != before:
        fail(f"a forbidden update must change nothing (R22): {before} became {shop.product_row(product_id)}")
    staff = shop.add_customer("admin")
    allowed = shop.request(
        "PATCH", f"/products/{product_id}", json={"price_cents": 1234}, headers={**staff.headers, "If-Match": "*"}
    )
    expect(allowed, 200, "staff sending PATCH {'price_cents': 1234} with If-Match: *", "R22")
