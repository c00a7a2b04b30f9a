"""Listing products: filters, sort orders, cursor pagination with Link headers, hostile values."""

import base64
import json

from _shop import walk


def ids(items):
    return [item["id"] for item in items]


def test_link_chain_visits_every_product_once(shop):
    expected = sorted(row[0] for row in shop.sql("SELECT id FROM products"))
    seen = ids(walk(shop, "/products?limit=7"))
    assert len(seen) == len(set(seen)), f"following Link rel=\"next\" visited some products twice: {seen}"
    assert sorted(seen) == expected, f"the chain should visit all {len(expected)} products, visited {len(seen)}"
    assert seen == sorted(seen), "the default order is by id, ascending"
    last = shop.request("GET", "/products?limit=100")
    assert "next" not in last.links, "the last page must not have a Link rel=\"next\""


def test_inserts_during_the_walk_repeat_and_skip_nothing(shop):
    for sort, price in (("-id", 500), ("price_cents", 1)):
        before = {row[0] for row in shop.sql("SELECT id FROM products")}
        # New products land on pages already visited (newest first / cheapest first): with
        # LIMIT/OFFSET every insert pushes a seen product onto the next page again.
        seen = ids(walk(shop, f"/products?sort={sort}&limit=5", on_page=lambda _n, p=price: shop.insert_products([("New Duck", p)] * 2)))
        repeated = sorted({i for i in seen if seen.count(i) > 1})
        assert not repeated, f"sort={sort}: products inserted during the walk made it repeat {repeated}: use a cursor (keyset), not an offset"
        missing = sorted(before - set(seen))
        assert not missing, f"sort={sort}: the walk skipped products {missing} that existed when it began"


def test_page_size_is_clamped(shop):
    shop.insert_products([(f"Bulk Duck {i}", 100 + i) for i in range(110)])  # 150 products or more
    default = shop.request("GET", "/products")
    assert default.status_code == 200 and len(default.json()["items"]) == 20, "without limit, a page holds 20 products"
    huge = shop.request("GET", "/products?limit=100000")
    assert huge.status_code == 200, f"a too-large limit is clamped, not refused: got {huge.status_code}"
    assert len(huge.json()["items"]) == 100, f"limit=100000 should be clamped to 100 items, got {len(huge.json()['items'])}"
    assert "next" in huge.links, "more than 100 products, 100 per page: there is a next page"


def test_tampered_cursor_is_400(app):
    first = app.request("GET", "/products?limit=3")
    cursor = first.json().get("next_cursor") or ""
    assert cursor and "next" in first.links, f"the first page of 3 should have a next_cursor and a Link, got {first.text[:200]}"
    flipped = cursor[:-2] + ("A" if cursor[-2] != "A" else "B") + cursor[-1]
    forged = base64.urlsafe_b64encode(json.dumps({"offset": -1, "id": 0, "sort": "id"}).encode()).decode()
    for bad in (flipped, cursor[: len(cursor) // 2], forged, "'; DROP TABLE products; --", "!!!", "%00"):
        response = app.request("GET", "/products", params={"cursor": bad, "limit": 3})
        assert response.status_code == 400, f"the tampered cursor {bad[:40]!r} should be refused with 400, got {response.status_code}"
    other_sort = app.request("GET", "/products", params={"cursor": cursor, "sort": "-price_cents", "limit": 3})
    assert other_sort.status_code == 400, f"a cursor made for sort=id used with sort=-price_cents should be 400, got {other_sort.status_code}"


def test_filters_and_sort_orders(app):
    costume = walk(app, "/products?category=costume&limit=4")
    assert costume and all(p["category"] == "costume" for p in costume), "category=costume returns costume ducks only"
    everything = walk(app, "/products?limit=100")
    assert len(costume) == sum(p["category"] == "costume" for p in everything), "category=costume misses some"
    in_range = walk(app, "/products?min_price=900&max_price=1299&limit=5")
    expected = sorted(p["id"] for p in everything if 900 <= p["price_cents"] <= 1299)
    assert sorted(ids(in_range)) == expected, "min_price and max_price are inclusive bounds in cents"
    for sort, key, reverse in (("price_cents", "price_cents", False), ("-price_cents", "price_cents", True), ("-id", "id", True)):
        got = walk(app, f"/products?sort={sort}&limit=6")
        want = sorted(everything, key=lambda p: (p[key], p["id"]), reverse=reverse)
        assert ids(got) == ids(want), f"sort={sort}: expected ids {ids(want)[:10]}..., got {ids(got)[:10]}... (ties broken by id)"


def test_hostile_filter_and_sort_values_are_harmless(app):
    count = len(walk(app, "/products?limit=100"))
    for category in ("classic' OR '1'='1", "classic\" OR 1=1 --", "%", "x'); DROP TABLE products; --"):
        response = app.request("GET", "/products", params={"category": category})
        assert response.status_code == 200, f"category={category!r} is just a category nobody sells: 200, got {response.status_code}"
        assert response.json()["items"] == [], f"category={category!r} matched products: is the value pasted into SQL?"
    for sort in ("price_cents; DROP TABLE products", "(SELECT 1)", "id DESC, name", "price_cents--", "sku"):
        response = app.request("GET", "/products", params={"sort": sort})
        assert response.status_code in (400, 422), f"sort={sort!r} is not one of the allowed orders: expected 422, got {response.status_code}"
    for value in ("1 OR 1=1", "0x10", "1e3"):
        response = app.request("GET", "/products", params={"min_price": value})
        assert response.status_code == 422, f"min_price={value!r} is not an integer: expected 422, got {response.status_code}"
    assert len(walk(app, "/products?limit=100")) == count, "the catalogue changed after the hostile requests"
