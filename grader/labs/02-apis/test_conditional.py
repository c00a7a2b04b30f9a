"""ETag, If-None-Match (304), If-Match (412), 428 Precondition Required, and two editors at once."""

import threading

from _shop import staff


def read(shop, product_id=1, **headers):
    return shop.request("GET", f"/products/{product_id}", headers=headers)


def patch(shop, headers, body, product_id=1, **extra):
    return shop.request("PATCH", f"/products/{product_id}", json=body, headers={**headers, **extra})


def etag_of(response) -> str:
    etag = response.headers.get("etag")
    assert etag and etag.strip('W/').startswith('"') and etag.endswith('"'), (
        f"GET /products/{{id}} must send an ETag header, a quoted string like \"abc\" (RFC 9110, 8.8.3), got {etag!r}"
    )
    return etag


def test_reads_carry_an_etag_that_changes_with_the_product(shop):
    headers = staff(shop)
    first = etag_of(read(shop))
    assert etag_of(read(shop)) == first, "reading an unchanged product twice must give the same ETag"
    updated = patch(shop, headers, {"price_cents": 555}, **{"If-Match": first})
    assert updated.status_code == 200, f"PATCH with the current ETag in If-Match should succeed (200), got {updated.status_code}: {updated.text[:200]}"
    assert updated.json()["price_cents"] == 555, f"the PATCH response is the updated product, got {updated.text[:200]}"
    second = etag_of(read(shop))
    assert second != first, "after an update the ETag must change, or caches and If-Match can't tell the versions apart"
    assert updated.headers.get("etag") == second, "the PATCH response should carry the new ETag (the one a GET now returns)"


def test_if_none_match_gives_304_without_a_body(app):
    etag = etag_of(read(app, 2))
    for header in (etag, f'"nope", {etag}', f"W/{etag}", "*"):
        response = read(app, 2, **{"If-None-Match": header})
        assert response.status_code == 304, f"If-None-Match: {header} matches the current version: expected 304, got {response.status_code}"
        assert response.content == b"", f"a 304 Not Modified has no body, got {response.content[:100]!r}"
        assert response.headers.get("etag") == etag, "a 304 still carries the ETag (RFC 9110, 15.4.5)"
    other = read(app, 2, **{"If-None-Match": '"some-old-version"'})
    assert other.status_code == 200 and other.json()["id"] == 2, f"a stale If-None-Match gets the product (200), got {other.status_code}"


def test_update_without_if_match_is_428(shop):
    headers = staff(shop)
    before = read(shop).json()
    response = patch(shop, headers, {"price_cents": 1})
    assert response.status_code == 428, (
        f"a PATCH without If-Match must be refused with 428 Precondition Required (RFC 6585), got {response.status_code}"
    )
    assert read(shop).json() == before, "a refused update must change nothing"


def test_stale_if_match_is_412_and_changes_nothing(shop):
    headers = staff(shop)
    stale = etag_of(read(shop))
    assert patch(shop, headers, {"stock": 7}, **{"If-Match": stale}).status_code == 200, "the first update should succeed"
    after_first = read(shop).json()
    for header in (stale, '"made-up"', f"W/{etag_of(read(shop))}"):
        response = patch(shop, headers, {"price_cents": 1, "stock": 1}, **{"If-Match": header})
        assert response.status_code == 412, (
            f"If-Match: {header} is not the current version (If-Match uses the strong comparison): expected 412, got {response.status_code}"
        )
        assert read(shop).json() == after_first, "after a 412 the product must be unchanged"


def test_two_editors_cannot_overwrite_each_other(shop):
    headers = staff(shop)
    etag = etag_of(read(shop, 3))
    results, barrier = {}, threading.Barrier(6)

    def edit(price):
        barrier.wait()
        results[price] = patch(shop, headers, {"price_cents": price}, product_id=3, **{"If-Match": etag}).status_code

    threads = [threading.Thread(target=edit, args=(1000 + i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [price for price, status in results.items() if status == 200]
    assert sorted(results.values()) == [200] + [412] * 5, (
        f"six editors sent the same If-Match at once: exactly one may win (200), the rest get 412; got {sorted(results.values())}"
    )
    assert read(shop, 3).json()["price_cents"] == winners[0], "the stored price must be the winner's"
