"""Public tests for Lab 02: the basics, in seconds. Run them with `make test LAB=02-apis`.

The graded (hidden) suite asks much more: inserts during a walk, tampered cursors, two editors
at once, expired and forged tokens, hostile input, and Schemathesis against your /openapi.json.
"""

import os
import tempfile
import uuid

import pytest

# Before the app is imported: a fresh database file for this run, and known settings.
SCRATCH = tempfile.TemporaryDirectory()  # removed when pytest exits
os.environ["DATABASE_URL"] = f"sqlite:///{SCRATCH.name}/public-tests.db"
os.environ["SECRET_KEY"] = "public-tests-secret-key-0123456789abcdef"
os.environ["SCRYPT_N"] = str(2**12)  # a cheap hash for tests; production keeps the default

from app.main import app  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with TestClient(app) as client:  # runs the lifespan: tables and the catalogue
        yield client


def new_customer(client) -> dict:
    email = f"duck-{uuid.uuid4().hex[:8]}@example.com"
    response = client.post("/customers", json={"email": email, "password": "quack-quack-42", "name": "Duckling"})
    assert response.status_code == 201, (
        f"POST /customers should answer 201 Created, got {response.status_code}: {response.text}"
    )
    token = client.post("/auth/token", json={"email": email, "password": "quack-quack-42"})
    assert token.status_code == 200, (
        f"POST /auth/token with the right password should answer 200, got {token.status_code}: {token.text}"
    )
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def test_first_page_of_products_links_to_the_next(client):
    response = client.get("/products?limit=5")
    assert response.status_code == 200, f"GET /products should answer 200, got {response.status_code}: {response.text}"
    assert [p["id"] for p in response.json()["items"]] == [1, 2, 3, 4, 5], "the first 5 products, by id"
    assert "next" in response.links, 'the page should carry a Link header with rel="next" (README, "Pagination")'
    second = client.get(response.links["next"]["url"])
    assert [p["id"] for p in second.json()["items"]] == [6, 7, 8, 9, 10], "the next link leads to the next 5 products"


def test_unknown_product_is_a_404_problem(client):
    response = client.get("/products/99999")
    assert response.status_code == 404, f"a product that doesn't exist is a 404, got {response.status_code}"
    assert response.headers["content-type"].startswith("application/problem+json"), (
        "errors are RFC 9457 problem details, sent as application/problem+json (README, 'Errors')"
    )
    assert response.json()["status"] == 404, "a problem's status member equals the HTTP status"


def test_etag_and_if_none_match(client):
    response = client.get("/products/1")
    etag = response.headers.get("etag")
    assert response.status_code == 200 and etag, "GET /products/1 should answer 200 with an ETag header"
    again = client.get("/products/1", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"", "If-None-Match with the current ETag: 304 and no body"


def test_register_log_in_and_read_me(client):
    headers = new_customer(client)
    me = client.get("/customers/me", headers=headers)
    assert me.status_code == 200 and me.json()["role"] == "customer", f"GET /customers/me with the token: {me.text}"
    assert "password" not in me.text, "never send a password (or its hash) back"
    anonymous = client.get("/customers/me")
    assert anonymous.status_code == 401 and anonymous.headers.get("www-authenticate", "").startswith("Bearer"), (
        "without a token: 401 with WWW-Authenticate: Bearer"
    )


def test_an_order_is_only_visible_to_its_customer(client):
    alice, bob = new_customer(client), new_customer(client)
    order = client.post("/orders", json={"items": [{"product_id": 1, "quantity": 2}]}, headers=alice)
    assert order.status_code == 201, f"POST /orders should answer 201, got {order.status_code}: {order.text}"
    assert order.json()["total_cents"] == 2 * client.get("/products/1").json()["price_cents"], (
        "total = quantity x price"
    )
    assert client.get(f"/orders/{order.json()['id']}", headers=bob).status_code == 404, (
        "someone else's order is a 404 for you (README, 'Orders')"
    )
