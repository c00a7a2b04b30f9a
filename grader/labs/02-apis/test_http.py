"""Status codes, Location, and RFC 9457 problem details for every error."""

from _shop import bearer, customer, login, register, unique_email

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, what: str) -> dict:
    assert response.status_code == status, f"{what}: expected {status}, got {response.status_code}: {response.text[:200]}"
    content_type = response.headers.get("content-type", "")
    assert content_type.startswith(PROBLEM), (
        f"{what}: an error must be sent as {PROBLEM} (RFC 9457), got Content-Type {content_type!r}"
    )
    body = response.json()
    assert isinstance(body, dict), f"{what}: a problem is a JSON object, got {body!r}"
    for member in ("type", "title", "detail"):
        assert isinstance(body.get(member), str), f"{what}: the problem needs a string {member!r}, got {body}"
    assert body.get("status") == status, f"{what}: the problem's status must be {status} (the HTTP status), got {body}"
    return body


def test_register_is_201_with_location(app):
    email = unique_email()
    response = app.request("POST", "/customers", json={"email": email, "password": "s3cret-passw0rd", "name": "Ada"})
    assert response.status_code == 201, f"registering answered {response.status_code}, expected 201 Created: {response.text[:200]}"
    location = response.headers.get("location")
    assert location, "a 201 Created must carry a Location header naming the new resource (RFC 9110, 15.3.2)"
    body = response.json()
    assert set(body) >= {"id", "email", "name", "role"}, f"the new customer should be returned, got {body}"
    followed = app.request("GET", location, headers=bearer(login(app, email, "s3cret-passw0rd")))
    assert followed.status_code == 200 and followed.json()["id"] == body["id"], (
        f"GET {location} (the Location) should return the new customer, got {followed.status_code}: {followed.text[:200]}"
    )


def test_order_is_201_with_location(app):
    _, headers = customer(app)
    response = app.request("POST", "/orders", json={"items": [{"product_id": 1, "quantity": 2}]}, headers=headers)
    assert response.status_code == 201, f"POST /orders answered {response.status_code}, expected 201: {response.text[:200]}"
    location = response.headers.get("location")
    assert location, "a 201 Created must carry a Location header naming the new order"
    followed = app.request("GET", location, headers=headers)
    assert followed.status_code == 200 and followed.json() == response.json(), (
        f"GET {location} should return the order just created, got {followed.status_code}: {followed.text[:200]}"
    )


def test_404_405_422_are_told_apart(app):
    cases = [
        ("GET", "/products/987654321", 404, "a product that doesn't exist"),
        ("GET", "/no-such-thing", 404, "a path that doesn't exist"),
        ("DELETE", "/products/1", 405, "a method the resource doesn't support"),
        ("PUT", "/orders", 405, "a method the collection doesn't support"),
        ("GET", "/products/abc", 422, "a product id that isn't a number"),
        ("GET", "/products?limit=0", 422, "a page size of 0"),
        ("GET", "/products?sort=colour", 422, "an unknown sort order"),
    ]
    for method, path, status, what in cases:
        response = app.request(method, path)
        assert response.status_code == status, f"{method} {path} ({what}): expected {status}, got {response.status_code}"
    allow = app.request("DELETE", "/products/1").headers.get("allow", "")
    assert "GET" in allow, f"a 405 must list the allowed methods in an Allow header, got {allow!r}"


def test_every_error_is_a_problem(app):
    email = register(app)["email"]
    cases = [
        (("GET", "/products/987654321"), 404, "unknown product"),
        (("GET", "/no-such-thing"), 404, "unknown path"),
        (("DELETE", "/products/1"), 405, "method not allowed"),
        (("GET", "/products?limit=-5"), 422, "invalid query parameter"),
        (("POST", "/customers", {"json": {"email": "x"}}), 422, "invalid body"),
        (("POST", "/customers", {"json": {"email": email, "password": "whatever-123", "name": "Twin"}}), 409, "email taken"),
        (("GET", "/customers/me"), 401, "not logged in"),
        (("POST", "/auth/token", {"json": {"email": email, "password": "wrong password"}}), 401, "wrong password"),
    ]
    for (method, path, *kwargs), status, what in cases:
        assert_problem(app.request(method, path, **(kwargs[0] if kwargs else {})), status, f"{method} {path} ({what})")


def test_validation_errors_point_at_the_field(app):
    _, headers = customer(app)
    items = [{"product_id": 1, "quantity": 1}, {"product_id": 2, "quantity": 0}]
    body = assert_problem(app.request("POST", "/orders", json={"items": items}, headers=headers), 422, "quantity 0")
    pointers = [e.get("pointer") for e in body.get("errors") or [] if isinstance(e, dict)]
    assert "#/items/1/quantity" in pointers, (
        f"the problem's errors[] should point at the offending field with a JSON Pointer, "
        f"'#/items/1/quantity', got {body.get('errors')}"
    )
    body = assert_problem(
        app.request("POST", "/customers", json={"email": unique_email(), "name": "No Password"}), 422, "missing password"
    )
    pointers = [e.get("pointer") for e in body.get("errors") or [] if isinstance(e, dict)]
    assert "#/password" in pointers, f"a missing password should be reported at '#/password', got {body.get('errors')}"
    assert all(isinstance(e.get("detail"), str) for e in body["errors"]), "every entry of errors[] needs a detail string"


def test_malformed_bodies_are_problems_not_crashes(app):
    _, headers = customer(app)
    bodies = [b"{not json", b"[1, 2, 3]", b"", b'{"items": "all of them"}', b'{"items": [{"product_id": "1; DROP TABLE orders"}]}']
    for raw in bodies:
        response = app.request("POST", "/orders", content=raw, headers={**headers, "Content-Type": "application/json"})
        assert_problem(response, 422, f"POST /orders with the body {raw[:40]!r}")
    # an order for a product that doesn't exist is invalid input too, pointed at
    response = app.request("POST", "/orders", json={"items": [{"product_id": 987654321, "quantity": 1}]}, headers=headers)
    body = assert_problem(response, 422, "an order for a product that doesn't exist")
    assert any(e.get("pointer") == "#/items/0/product_id" for e in body.get("errors") or []), (
        f"point at the unknown product: '#/items/0/product_id', got {body.get('errors')}"
    )
