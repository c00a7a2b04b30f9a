"""ETag, If-None-Match (304), If-Match (412), 428 Precondition Required, no-op updates, and six
editors at once (README, R20-R26). Each test edits a product of its own."""

import threading

import pytest
from _shop import Shop, expect, json_of, shop_env

from grader.testing import LearnerApp, fail, running


def etag_of(response, what: str) -> str:
    expect(response, 200, what)
    etag = response.headers.get("etag") or ""
    if not (etag.startswith('"') and etag.endswith('"') and len(etag) >= 2):
        fail(f'{what}: expected an ETag header, a strong validator - a quoted string like "abc" (R20), got {etag!r}')
    return etag


def read(shop, product_id, **headers):
    return shop.request("GET", f"/products/{product_id}", headers=headers)


def patch(shop, product_id, staff, body, if_match=None):
    headers = {**staff.headers, **({"If-Match": if_match} if if_match is not None else {})}
    return shop.request("PATCH", f"/products/{product_id}", json=body, headers=headers)


def fresh_product(shop, price=899, stock=340) -> int:
    (product_id,) = shop.insert_products([price], "conditional", stock=stock)
    return product_id


def test_the_etag_is_stable_and_changes_with_the_product(shop):
    product_id = fresh_product(shop)
    first = etag_of(read(shop, product_id), f"GET /products/{product_id}")
    again = etag_of(read(shop, product_id), f"GET /products/{product_id} again")
    if again != first:
        fail(f"an unchanged product must keep its ETag (R20): got {first} and then {again}")
    for column, value in (("price_cents", 950), ("stock", 12), ("name", "Renamed Duck")):
        # as an update through the app would: the value, and the version every update bumps
        shop.sql(f"UPDATE products SET {column} = ?, version = version + 1 WHERE id = ?", (value, product_id))
        changed = etag_of(read(shop, product_id), f"GET /products/{product_id} after its {column} changed")
        if changed == first:
            fail(
                f"the product's {column} changed, its ETag {first} did not: caches and If-Match can't tell the versions apart (R20)"
            )
        first = changed
    expect(read(shop, 987654321), 404, "GET /products/987654321", "R20")


def test_if_none_match_gives_304_without_a_body(shop):
    product_id = fresh_product(shop)
    etag = etag_of(read(shop, product_id), f"GET /products/{product_id}")
    for header in (etag, f'"nope", {etag}', f"W/{etag}", "*"):
        response = read(shop, product_id, **{"If-None-Match": header})
        expect(response, 304, f"GET with If-None-Match: {header} (the current version)", "R21")
        if response.content:
            fail(f"a 304 Not Modified has no body (R21), got {response.content[:80]!r}")
        if response.headers.get("etag") != etag:
            fail(f"a 304 still carries the ETag {etag} (R21), got {response.headers.get('etag')!r}")
    other = read(shop, product_id, **{"If-None-Match": '"some-old-version"'})
    expect(other, 200, "GET with a stale If-None-Match", "R21")
    if json_of(other, "GET with a stale If-None-Match").get("id") != product_id:
        fail(f"a stale If-None-Match gets the product itself (R21), got {other.text[:150]!r}")


def test_update_without_if_match_is_428_after_404(shop):
    staff = shop.add_customer("admin")
    product_id = fresh_product(shop)
    before = shop.product_row(product_id)
    expect(patch(shop, product_id, staff, {"price_cents": 1}), 428, "PATCH without If-Match", "R23")
    if shop.product_row(product_id) != before:
        fail(f"a PATCH refused with 428 must change nothing (R23): {before} became {shop.product_row(product_id)}")
    expect(
        patch(shop, 987654321, staff, {"price_cents": 1}),
        404,
        "PATCH of a product that doesn't exist, without If-Match (404 comes first)",
        "R23",
    )


def test_stale_if_match_is_412_and_changes_nothing(shop):
    staff = shop.add_customer("admin")
    product_id = fresh_product(shop)
    stale = etag_of(read(shop, product_id), f"GET /products/{product_id}")
    shop.sql("UPDATE products SET stock = stock + 1, version = version + 1 WHERE id = ?", (product_id,))
    before = shop.product_row(product_id)
    for header in (stale, '"made-up"', f'"a", {stale}'):
        response = patch(shop, product_id, staff, {"price_cents": 1, "stock": 1}, if_match=header)
        expect(response, 412, f"PATCH with If-Match: {header}, not the current version", "R23")
        if shop.product_row(product_id) != before:
            fail(f"after a 412 the product must be unchanged (R23): {before} became {shop.product_row(product_id)}")


def test_a_patch_answers_the_product_and_its_new_etag(shop):
    staff = shop.add_customer("admin")
    product_id = fresh_product(shop)
    etag = etag_of(read(shop, product_id), f"GET /products/{product_id}")
    response = expect(
        patch(shop, product_id, staff, {"price_cents": 555, "name": "Sale Duck"}, etag),
        200,
        "PATCH with the current ETag",
        "R23",
    )
    want = {**shop.product_row(product_id)}
    if want["price_cents"] != 555 or want["name"] != "Sale Duck":
        fail(f"PATCH {{price_cents: 555, name: 'Sale Duck'}} answered 200 but the database holds {want} (R23)")
    if json_of(response, "PATCH") != want:
        fail(f"a PATCH answers the updated product {want} (R23), got {response.text[:200]!r}")
    now = etag_of(read(shop, product_id), f"GET /products/{product_id} after the PATCH")
    if response.headers.get("etag") != now or now == etag:
        fail(
            f"the PATCH answer carries the new ETag, the one a GET now returns ({now}) (R23), got {response.headers.get('etag')!r}"
        )


def test_if_match_uses_the_strong_comparison(shop):
    staff = shop.add_customer("admin")
    product_id = fresh_product(shop)
    etag = etag_of(read(shop, product_id), f"GET /products/{product_id}")
    expect(
        patch(shop, product_id, staff, {"stock": 1}, f"W/{etag}"),
        412,
        f"PATCH with If-Match: W/{etag} (weak never matches)",
        "R24",
    )
    expect(
        patch(shop, product_id, staff, {"stock": 2}, f'"other", {etag}'),
        200,
        f'PATCH with If-Match: "other", {etag}',
        "R24",
    )
    expect(
        patch(shop, product_id, staff, {"stock": 3}, "*"), 200, "PATCH with If-Match: * (any current version)", "R24"
    )
    if shop.product_row(product_id)["stock"] != 3:
        fail(
            f"PATCH {{stock: 3}} with If-Match: * answered 200, the stock is {shop.product_row(product_id)['stock']} (R24)"
        )
    expect(
        patch(shop, 987654321, staff, {"stock": 3}, "*"),
        404,
        "PATCH with If-Match: * of a product that doesn't exist",
        "R24",
    )


def test_a_patch_that_changes_nothing_keeps_the_etag(shop):
    staff = shop.add_customer("admin")
    product_id = fresh_product(shop, price=899)
    etag = etag_of(read(shop, product_id), f"GET /products/{product_id}")
    before = shop.product_row(product_id)
    for body in ({}, {"price_cents": 899}, {"price_cents": 899, "stock": 340}):
        response = expect(patch(shop, product_id, staff, body, etag), 200, f"PATCH {body} (no value changes)", "R25")
        if json_of(response, f"PATCH {body}") != before:
            fail(f"PATCH {body} answers the product as it is, {before} (R25), got {response.text[:200]!r}")
        now = etag_of(read(shop, product_id), f"GET after PATCH {body}")
        if now != etag or response.headers.get("etag") != etag:
            fail(
                f"PATCH {body} changed no value, so the ETag stays {etag} (R25); got {response.headers.get('etag')!r} in the answer, {now} from GET"
            )


@pytest.fixture
def race_shop(sandbox, _shop_app):
    """A second app on the suite's database, with app/db.py's hold on: the first six UPDATEs of
    products wait for each other, so six editors have all read the product before any writes."""
    _, db_path = _shop_app
    env, _ = shop_env(sandbox, db_path, DUCKSHOP_HOLD_UPDATES="6")
    app = LearnerApp(sandbox.replace(request_timeout_s=max(sandbox.request_timeout_s, 15)), env=env)
    yield lambda: Shop(running(app), db_path)
    app.stop()


def test_six_editors_one_winner(shop, race_shop):
    staff = shop.add_customer("admin")
    product_id = fresh_product(shop, stock=340)
    etag = etag_of(read(shop, product_id), f"GET /products/{product_id}")
    racing = race_shop()
    deltas = [10, -5, 3, -2, 7, -1]  # each editor corrects the stock it read: 340 + delta
    results, barrier = {}, threading.Barrier(len(deltas))

    def edit(delta):
        barrier.wait()
        try:
            results[delta] = patch(racing, product_id, staff, {"stock": 340 + delta}, etag).status_code
        except Exception as exc:  # a hang or a crash: reported below, not as a thread's traceback
            results[delta] = f"no answer ({exc})"

    threads = [threading.Thread(target=edit, args=(delta,)) for delta in deltas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(results.values(), key=str)
    if statuses != [200] + [412] * 5:
        fail(
            f"six editors sent PATCH with the same If-Match at once: expected one 200 and five 412 (R26), got {statuses}"
        )
    (winner,) = [delta for delta, status in results.items() if status == 200]
    stock = shop.product_row(product_id)["stock"]
    if stock != 340 + winner:
        fail(f"the winner set the stock to {340 + winner}, the database holds {stock} (R26)")
