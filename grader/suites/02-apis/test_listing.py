"""Listing products: the page, filters, sort orders, cursor pagination and Link headers (README, R12-R19).

Each test lists products of a category of its own, added through the database, so that what it
expects does not depend on any other test.
"""

import base64
import json
import uuid
from urllib.parse import parse_qs, urlsplit

from _shop import edited_cursors, expect, ids, next_url, page_of, walk

from grader.testing import fail

PRODUCT_FIELDS = {"id", "sku", "name", "category", "price_cents", "stock"}


def category(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}"


def test_a_page_has_the_documented_shape(shop):
    name = category("shape")
    (product_id,) = shop.insert_products([1234], name, stock=7)
    items, cursor = page_of(shop.request("GET", f"/products?category={name}"), f"GET /products?category={name}")
    if items != [shop.product_row(product_id)]:
        fail(f"the page should hold exactly {shop.product_row(product_id)} (R12), got {items}")
    if cursor is not None:
        fail(f"a page with nothing after it has next_cursor null (R12, R16), got {cursor!r}")
    first, _ = page_of(shop.request("GET", "/products?limit=3"), "GET /products?limit=3")
    if any(set(item) != PRODUCT_FIELDS for item in first):
        fail(f"a product is exactly {sorted(PRODUCT_FIELDS)} (R12), got {sorted(first[0]) if first else first}")


def test_filters_select_the_matching_products(shop):
    name = category("Filter")
    prices = [999, 1000, 1500, 2000, 2001]
    product_ids = dict(zip(prices, shop.insert_products(prices, name)))
    shop.insert_products([1500], name.upper())  # another category, differing only in case
    checks = [
        (f"category={name}", prices),
        (f"category={name.lower()}", []),
        (f"category={name}&min_price=1000&max_price=2000", [1000, 1500, 2000]),
        (f"category={name}&min_price=2001", [2001]),
        (f"category={name}&max_price=999", [999]),
        (f"category={name}&min_price=1600&max_price=1400", []),
    ]
    for query, want in checks:
        got = sorted(ids(walk(shop, f"/products?{query}&limit=2")))
        expected = sorted(product_ids[p] for p in want)
        if got != expected:
            fail(
                f"GET /products?{query}: expected the products {expected}, got {got} (R13: exact category, inclusive bounds)"
            )
    for query in ("min_price=-1", "max_price=10000001", "min_price=12.5", f"category={'x' * 51}"):
        expect(shop.request("GET", f"/products?{query}"), 422, f"GET /products?{query}", "R13")


def test_hostile_values_are_data(shop):
    before = shop.sql("SELECT count(*) FROM products")[0][0]
    for value in ("classic' OR '1'='1", 'classic" OR 1=1 --', "%", "_", "x'); DROP TABLE products; --"):
        items, _ = page_of(
            shop.request("GET", "/products", params={"category": value}), f"GET /products?category={value}"
        )
        if items:
            fail(
                f"category={value!r} is a category nobody sells, but it matched {len(items)} products: is it pasted into SQL? (R13)"
            )
    for sort in ("price_cents; DROP TABLE products", "(SELECT 1)", "id DESC, name", "price_cents--", "sku", "name"):
        expect(shop.request("GET", "/products", params={"sort": sort}), 422, f"GET /products?sort={sort}", "R14")
    for value in ("1 OR 1=1", "0x10", "1e3"):
        expect(
            shop.request("GET", "/products", params={"min_price": value}),
            422,
            f"GET /products?min_price={value}",
            "R13",
        )
    after = shop.sql("SELECT count(*) FROM products")[0][0]
    if after != before:
        fail(f"the catalogue had {before} products before the hostile requests and {after} after")


def test_sort_orders_break_ties_by_id(shop):
    name = category("ties")
    prices = [700, 300, 700, 900, 700, 300, 700, 900, 700, 700, 300, 900]
    rows = [{"id": i, "price_cents": p} for i, p in zip(shop.insert_products(prices, name), prices)]
    orders = {
        "": sorted(rows, key=lambda r: r["id"]),
        "id": sorted(rows, key=lambda r: r["id"]),
        "-id": sorted(rows, key=lambda r: r["id"], reverse=True),
        "price_cents": sorted(rows, key=lambda r: (r["price_cents"], r["id"])),
        "-price_cents": sorted(rows, key=lambda r: (r["price_cents"], r["id"]), reverse=True),
    }
    for sort, want in orders.items():
        query = f"/products?category={name}&limit=4" + (f"&sort={sort}" if sort else "")
        got = ids(walk(shop, query))
        if got != ids(want):
            fail(
                f"GET {query} and its next pages: expected the ids {ids(want)}, got {got} (R14: ties broken by id, same direction)"
            )


def test_limit_defaults_to_20_and_is_clamped_to_100(shop):
    total = shop.sql("SELECT count(*) FROM products")[0][0]
    if total <= 100:
        shop.insert_products([100 + i for i in range(101 - total)], category("bulk"))
    items, _ = page_of(shop.request("GET", "/products"), "GET /products")
    if len(items) != 20:
        fail(f"without limit a page holds 20 products (R15), got {len(items)}")
    for limit in (100, 101, 100_000):
        response = shop.request("GET", f"/products?limit={limit}")
        items, cursor = page_of(response, f"GET /products?limit={limit} (clamped, not refused: R15)")
        if len(items) != 100:
            fail(f"GET /products?limit={limit}: expected 100 products (clamped, R15), got {len(items)}")
        if not cursor:
            fail(f"GET /products?limit={limit}: over 100 products match, so there is a next page (R16)")


def test_the_link_chain_keeps_the_query_and_ends(shop):
    name = category("chain")
    prices = [500 + 10 * i for i in range(8)]  # 8 products, 4 per page: exactly two pages
    shop.insert_products(prices, name)
    url, pages = f"/products?category={name}&sort=-price_cents&limit=4&min_price=500", []
    while url and len(pages) < 5:
        response = shop.request("GET", url)
        items, cursor = page_of(response, f"GET {url}")
        pages.append(len(items))
        link = next_url(response, shop.url, url)
        if bool(cursor) != bool(link):
            fail(f'GET {url}: next_cursor {cursor!r} and the Link rel="next" {link!r} go together (R16)')
        if link:
            query = parse_qs(urlsplit(link).query)
            want = {
                "category": [name],
                "sort": ["-price_cents"],
                "limit": ["4"],
                "min_price": ["500"],
                "cursor": [cursor],
            }
            if query != want:
                fail(
                    f"the next link should be the same query with cursor=next_cursor (R16): expected {want}, got {query}"
                )
        url = link
    if pages != [4, 4]:
        fail(
            f"8 matching products, 4 per page: expected pages of [4, 4] and no link after the second (R16), got pages of {pages}"
        )
    empty = shop.request("GET", f"/products?category={category('nothing')}")
    items, cursor = page_of(empty, "GET /products for a category nobody sells")
    if items or cursor is not None or "next" in empty.links:
        fail(
            f"an empty result is a page with no items, next_cursor null and no next link (R16), got {empty.text[:150]!r}"
        )


def test_inserts_and_deletes_during_the_walk_repeat_and_skip_nothing(shop):
    for sort, new_price in (("-id", 600), ("price_cents", 1)):
        name = category("walk")
        start = shop.insert_products([500 + 37 * i % 400 for i in range(24)], name)
        deleted: set[int] = set()

        def meanwhile(page_number, page, name=name, new_price=new_price, deleted=deleted):
            # New products land on pages already visited (newest first / cheapest first), and a
            # product already seen goes away - on odd pages the one the cursor points at.
            shop.insert_products([new_price, new_price], name)
            gone = page[-1]["id"] if page_number % 2 else page[0]["id"]
            shop.delete_products([gone])
            deleted.add(gone)

        seen = ids(walk(shop, f"/products?category={name}&sort={sort}&limit=5", on_page=meanwhile))
        repeated = sorted({i for i in seen if seen.count(i) > 1})
        if repeated:
            fail(
                f"sort={sort}: products inserted or deleted during the walk made it list {repeated} twice: use a keyset cursor, not an offset (R17)"
            )
        missing = sorted(set(start) - deleted - set(seen))
        if missing:
            fail(f"sort={sort}: the walk skipped the products {missing}, which existed from start to end (R17)")


def test_a_cursor_works_with_another_limit(shop):
    name = category("limit")
    product_ids = shop.insert_products([300 + i for i in range(10)], name)
    items, cursor = page_of(shop.request("GET", f"/products?category={name}&limit=3"), "the first page of 3")
    if not cursor:
        fail("10 products, 3 per page: the first page needs a next_cursor (R16)")
    response = shop.request("GET", "/products", params={"category": name, "limit": 5, "cursor": cursor})
    items, _ = page_of(response, "the same cursor with limit=5 (R18)")
    if ids(items) != product_ids[3:8]:
        fail(f"the cursor after the first 3, with limit=5: expected {product_ids[3:8]}, got {ids(items)} (R18)")


def _b64url(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def test_edited_and_made_up_cursors_are_400(shop):
    name = category("edit")
    shop.insert_products([400, 400, 500, 600, 700, 800, 900], name)
    unsigned = [{"scope": "products:id", "key": [5]}, {"sort": "id", "key": [5]}, {"id": 5}, {"offset": 5}]
    made_up = [_b64url(data) for data in unsigned] + [_b64url(unsigned[0]) + ".AAAAAAAAAAAAAAAAAAAAAA"]
    for sort in ("price_cents", "id"):
        response = shop.request("GET", f"/products?category={name}&sort={sort}&limit=2")
        _, cursor = page_of(response, f"the first page sorted by {sort}")
        if not isinstance(cursor, str) or not cursor:
            fail(f"7 products, 2 per page: the first page needs a next_cursor (R16), got {cursor!r}")
        for edited in [*edited_cursors(cursor), *made_up]:
            params = {"category": name, "sort": sort, "limit": 2, "cursor": edited}
            got = shop.request("GET", "/products", params=params)
            if got.status_code != 400:
                fail(
                    f"the cursor {cursor!r}, edited or made up as {edited!r}, was answered {got.status_code}: "
                    "a cursor the server did not issue is a 400 - sign it (HMAC) and check before believing it (R19)"
                )


def test_cursors_that_are_no_cursors_are_400(shop):
    _, cursor = page_of(shop.request("GET", "/products?limit=3"), "GET /products?limit=3")
    if not isinstance(cursor, str) or len(cursor) < 2:
        fail(f"more than 3 products: the first page of 3 needs a next_cursor (R16), got {cursor!r}")
    for bad in (
        cursor[:-1],
        cursor[: len(cursor) // 2],
        cursor + "A",
        "5",
        "'; DROP TABLE products; --",
        "!!!",
        "%00",
        "é",
        ".",
    ):
        got = shop.request("GET", "/products", params={"limit": 3, "cursor": bad})
        if got.status_code != 400:
            fail(f"the cursor {bad!r} (truncated, extended or garbage) was answered {got.status_code}, not 400 (R19)")


def test_a_cursor_for_another_sort_is_400(shop):
    _, cursor = page_of(shop.request("GET", "/products?sort=id&limit=3"), "GET /products?sort=id&limit=3")
    for sort in ("-price_cents", "price_cents", "-id"):
        got = shop.request("GET", "/products", params={"sort": sort, "limit": 3, "cursor": cursor})
        if got.status_code != 400:
            fail(f"a cursor issued for sort=id, used with sort={sort}, was answered {got.status_code}, not 400 (R19)")
