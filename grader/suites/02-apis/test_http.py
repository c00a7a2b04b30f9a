"""Status codes and RFC 9457 problem details for every error (README, R1-R9)."""

from urllib.parse import unquote

from _shop import expect, expect_problem, field_errors, json_of, unique_email

from grader.testing import fail

# What a JSON Pointer in URI-fragment form may hold (RFC 3986: fragment = *( pchar / "/" / "?" )).
FRAGMENT_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/?%")


def new_customer_body(**changes) -> dict:
    return {"email": unique_email(), "password": "s3cret-passw0rd", "name": "Ada", **changes}


def test_every_error_is_a_problem(shop):
    cases = [
        ("GET", "/products/987654321", {}, "a product that doesn't exist"),
        ("GET", "/no-such-thing", {}, "a path that doesn't exist (FastAPI's own 404)"),
        ("DELETE", "/products/1", {}, "a method the path doesn't support (FastAPI's own 405)"),
        ("GET", "/products?limit=-5", {}, "an invalid query parameter (FastAPI's own 422)"),
        ("POST", "/customers", {"json": {"email": "x"}}, "an invalid body"),
        ("POST", "/customers", {"json": {"pad": "x" * 70_000}}, "a body over 64 KiB (R4)"),
        ("GET", "/customers/me", {}, "no token"),
    ]
    for method, path, kwargs, what in cases:
        expect_problem(shop.request(method, path, **kwargs), f"{method} {path} ({what})")
    expect(shop.request("POST", "/customers", json={"pad": "x" * 70_000}), 413, "a body over 64 KiB", "R4")


def test_404_and_405_are_told_apart(shop):
    cases = [
        ("GET", "/products/987654321", 404, "a product that doesn't exist"),
        ("GET", "/no-such-thing", 404, "a path that doesn't exist"),
        ("DELETE", "/products/1", 405, "a method the product doesn't support"),
        ("PUT", "/orders", 405, "a method the collection doesn't support"),
    ]
    for method, path, status, what in cases:
        expect(shop.request(method, path), status, f"{method} {path} ({what})", "R2")
    allow = shop.request("DELETE", "/products/1").headers.get("allow", "")
    if "GET" not in allow:
        fail(f"a 405 lists the methods the path supports in an Allow header (R2), got Allow: {allow!r}")


def test_a_body_that_is_not_json_is_415(shop):
    sent = new_customer_body()
    raw = str(sent).encode()
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml", None):
        headers = {"Content-Type": content_type} if content_type else {}
        response = shop.request("POST", "/customers", content=raw, headers=headers)
        expect(response, 415, f"POST /customers with Content-Type {content_type or '(none)'}", "R3")
    charset = shop.request(
        "POST", "/customers", json=new_customer_body(), headers={"Content-Type": "application/json; charset=utf-8"}
    )
    if charset.status_code in (415, 422):
        fail(f"Content-Type: application/json; charset=utf-8 is JSON (R3), got {charset.status_code}")


def test_broken_json_is_400(shop):
    for raw in (b"{not json", b'{"email": "a@b.c", "password": ', b"{'single': 'quotes'}", b"\xff\xfe"):
        response = shop.request("POST", "/customers", content=raw, headers={"Content-Type": "application/json"})
        expect(response, 400, f"POST /customers with the body {raw[:30]!r} (not JSON: malformed syntax)", "R5")


def test_bodies_and_parameters_that_break_the_schema_are_422(shop):
    customer = shop.add_customer()
    for path in ("/products/abc", "/products/0", "/products?limit=0", "/products?sort=colour", "/products?min_price=x"):
        expect(shop.request("GET", path), 422, f"GET {path} (a parameter that breaks its rule)", "R6")
    cases = [
        ("/customers", {}, b"[1, 2, 3]", "a list instead of an object"),
        ("/customers", {}, b'"ducks"', "a string instead of an object"),
        ("/customers", {}, b"", "an empty body"),
        ("/customers", {}, b'{"email": "a@example.com", "name": "A"}', "a missing password"),
        ("/customers", {}, b'{"email": null, "password": "long enough", "name": "A"}', "a null email"),
        (
            "/customers",
            {},
            b'{"email": "a@example.com", "password": "long enough", "name": "A", "nickname": "Q"}',
            "a field the schema doesn't list",
        ),
        ("/orders", customer.headers, b'{"items": "all of them"}', "a string instead of a list"),
        ("/orders", customer.headers, b'{"items": [{"product_id": "1", "quantity": 1}]}', 'the string "1" as an id'),
        ("/orders", customer.headers, b'{"items": [{"product_id": 1, "quantity": 1.0}]}', "1.0 as a quantity"),
        ("/orders", customer.headers, b'{"items": [{"product_id": 1, "quantity": true}]}', "true as a quantity"),
        ("/orders", customer.headers, b'{"items": []}', "no lines"),
    ]
    for path, headers, raw, what in cases:
        response = shop.request("POST", path, content=raw, headers={**headers, "Content-Type": "application/json"})
        expect(response, 422, f"POST {path} with {what}", "R6")


def errors_of(response, what: str) -> list[dict]:
    """The errors[] of an answer to invalid input (its status and media type are R1, R5, R6)."""
    if response.status_code not in (400, 422):
        fail(f"{what}: expected 422, got {response.status_code} {response.text[:150]!r}")
    body = json_of(response, what)
    errors = field_errors(body) if isinstance(body, dict) else []
    if not errors or not all(isinstance(e.get("detail"), str) for e in errors):
        fail(
            f'{what}: the problem lists errors [{{"detail": ..., "pointer" or "parameter": ...}}] (R7, R8), got {response.text[:200]!r}'
        )
    return errors


def test_body_errors_point_at_the_field(shop):
    customer = shop.add_customer()
    cases = [
        ("/customers", {}, {"email": unique_email(), "name": "No Password"}, "#/password", "a missing password"),
        ("/customers", {}, [1, 2], "#", "a list instead of an object (the body itself)"),
        (
            "/orders",
            customer.headers,
            {"items": [{"product_id": 1, "quantity": 1}, {"product_id": 2, "quantity": 0}]},
            "#/items/1/quantity",
            "quantity 0 on the second line",
        ),
    ]
    for path, headers, body, pointer, what in cases:
        errors = errors_of(shop.request("POST", path, json=body, headers=headers), f"POST {path}: {what}")
        pointers = [e.get("pointer") for e in errors]
        if pointer not in pointers:
            fail(f"POST {path} with {what}: errors[] should hold the pointer {pointer!r} (R7), got {pointers}")


def _resolve(pointer: str) -> list[str]:
    """The reference tokens of a pointer in URI-fragment form (RFC 6901, sections 3-6)."""
    tokens = unquote(pointer[1:], errors="strict").split("/")[1:]
    return [token.replace("~1", "/").replace("~0", "~") for token in tokens]


def test_pointers_escape_and_percent_encode_odd_keys(shop):
    for key in ("a b/c", "price~cents", "prix é%", "x#y?"):
        body = new_customer_body(**{key: 1})
        errors = errors_of(shop.request("POST", "/customers", json=body), f"POST /customers with the key {key!r}")
        pointers = [e.get("pointer") for e in errors if isinstance(e.get("pointer"), str)]
        if not pointers:
            fail(f"the unknown key {key!r} should be reported with a pointer (R7), got {errors}")
        bad = [p for p in pointers if not p.startswith("#") or not set(p[1:]) <= FRAGMENT_CHARS]
        if bad:
            fail(f"{bad[0]!r} is not a URI fragment: percent-encode what a fragment can't hold (R7), e.g. ' ' as %20")
        if [key] not in [_resolve(p) for p in pointers]:
            fail(
                f"no pointer in {pointers} leads to the key {key!r}: escape ~ as ~0 and / as ~1, then percent-encode (R7)"
            )


def test_parameter_errors_name_the_parameter(shop):
    for path, parameter in (
        ("/products?limit=0", "limit"),
        ("/products?min_price=cheap", "min_price"),
        ("/products?sort=colour", "sort"),
        ("/products/abc", "product_id"),
    ):
        errors = errors_of(shop.request("GET", path), f"GET {path}")
        if parameter not in [e.get("parameter") for e in errors]:
            fail(f'GET {path}: errors[] should hold {{"detail": ..., "parameter": "{parameter}"}} (R8), got {errors}')


def test_out_of_range_ids_are_4xx_not_5xx(shop):
    customer = shop.add_customer()
    huge = [2**31, 2**63, -(2**63) - 1, 10**30]
    requests = [("GET", f"/products/{n}", {}) for n in huge]
    requests += [("GET", f"/orders/{n}", {"headers": customer.headers}) for n in huge]
    requests += [("GET", f"/customers/{n}", {"headers": customer.headers}) for n in huge]
    requests += [
        ("POST", "/orders", {"headers": customer.headers, "json": {"items": [{"product_id": n, "quantity": 1}]}})
        for n in huge
    ]
    requests += [("GET", f"/products?min_price={n}", {}) for n in huge]
    for method, path, kwargs in requests:
        response = shop.request(method, path, **kwargs)
        if not 400 <= response.status_code < 500:
            body = kwargs.get("json", "")
            fail(f"{method} {path} {body}: an id or number out of range is a 4xx, never {response.status_code} (R9)")
