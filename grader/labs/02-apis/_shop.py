"""Helpers for the hidden suite: a fresh shop with its own database file, customers, tokens.

The suite inspects and changes the database through its own (trusted) sqlite3 connection: to
count rows, to insert products during a walk, to make a customer staff, to look for passwords.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path

SECRET = "hidden-suite-secret-0123456789abcdef0123456789"
PASSWORD = "correct horse battery staple"


class Shop:
    """A learner app on its own SQLite file, plus the suite's view of that file."""

    def __init__(self, app, db_path: Path):
        self.app, self.db_path = app, db_path

    @property
    def url(self) -> str:
        return self.app.url

    def request(self, method, path, **kwargs):
        return self.app.request(method, path, **kwargs)

    def sql(self, statement: str, params=()) -> list[tuple]:
        with closing(sqlite3.connect(self.db_path, timeout=15)) as db:
            with db:
                return db.execute(statement, params).fetchall()

    def insert_products(self, rows: list[tuple[str, int]], category: str = "suite") -> None:
        """Insert (name, price_cents) products behind the app's back."""
        with closing(sqlite3.connect(self.db_path, timeout=15)) as db, db:
            db.executemany(
                "INSERT INTO products (sku, name, category, price_cents, stock, version) VALUES (?, ?, ?, ?, 1, 1)",
                [(f"T-{uuid.uuid4().hex[:12]}", name, category, price) for name, price in rows],
            )

    def make_staff(self, customer_id: int) -> None:
        self.sql("UPDATE customers SET role = 'admin' WHERE id = ?", (customer_id,))


def shop_env(sandbox, ttl_s: int = 900) -> tuple[dict, Path]:
    """The env of an app on a new database file the suite can read and write (and the file)."""
    directory = Path(sandbox.scratch_dir) / f"shop-{uuid.uuid4().hex[:10]}"
    directory.mkdir()
    os.chmod(directory, 0o777)  # the app (another user) creates journal files here
    db_path = directory / "shop.db"
    db_path.touch()
    os.chmod(db_path, 0o666)
    env = {"DATABASE_URL": f"sqlite:///{db_path}", "SECRET_KEY": SECRET, "ACCESS_TOKEN_TTL_S": str(ttl_s)}
    return env, db_path


def fresh_shop(start_app, sandbox, ttl_s: int = 900) -> Shop:
    """A shop of its own (the `shop` fixture is shared by the whole suite)."""
    env, db_path = shop_env(sandbox, ttl_s)
    return Shop(start_app(env=env), db_path)


def unique_email(label: str = "duck") -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}@example.com"


def register(app, email: str | None = None, password: str = PASSWORD, **extra) -> dict:
    body = {"email": email or unique_email(), "password": password, "name": "Test Duckling", **extra}
    response = app.request("POST", "/customers", json=body)
    assert response.status_code == 201, f"POST /customers answered {response.status_code}, expected 201: {response.text[:300]}"
    return response.json()


def login(app, email: str, password: str = PASSWORD) -> str:
    response = app.request("POST", "/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, f"POST /auth/token answered {response.status_code}, expected 200: {response.text[:300]}"
    token = response.json().get("access_token")
    assert isinstance(token, str) and token, f"POST /auth/token should return an access_token, got {response.text[:300]}"
    return token


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def customer(app, **extra) -> tuple[dict, dict]:
    """Register and log in a new customer: (their JSON, auth headers)."""
    body = register(app, **extra)
    return body, bearer(login(app, body["email"]))


def staff(shop: Shop) -> dict:
    """Auth headers of a staff member (a customer the suite promotes in the database)."""
    body = register(shop)
    shop.make_staff(body["id"])
    return bearer(login(shop, body["email"]))


def place_order(app, headers: dict, items: list[dict]) -> dict:
    response = app.request("POST", "/orders", json={"items": items}, headers=headers)
    assert response.status_code == 201, f"POST /orders answered {response.status_code}, expected 201: {response.text[:300]}"
    return response.json()


def walk(app, path: str, max_pages: int = 200, on_page=None) -> list[dict]:
    """Follow the Link rel="next" chain from `path`; every item of every page, in order."""
    import httpx

    items, url, pages = [], path, 0
    while url:
        response = app.request("GET", url)
        assert response.status_code == 200, f"GET {url} answered {response.status_code}: {response.text[:300]}"
        items.extend(response.json()["items"])
        pages += 1
        assert pages <= max_pages, f"the Link chain from {path} did not end after {max_pages} pages"
        link = response.links.get("next", {}).get("url")
        # relative or absolute, resolved against the page that carried it
        url = str(httpx.URL(app.url + "/").join(url).join(link)) if link else None
        if on_page and url:
            on_page(pages)
    return items
