"""The hidden suite's view of a shop: the learner's app, its database file, and tokens.

The suite reads and writes that SQLite file through its own (trusted) connection: to add
products, customers and orders, to delete products in the middle of a walk, to look for
passwords. Outside the authentication part it signs its own tokens with the token key (README,
R31), so a bug in registering or logging in costs the points of those rules only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import sqlite3
import uuid
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt

from grader.testing import fail

SECRET = "hidden-suite-secret-0123456789abcdef0123456789"
TTL_S = 900
PASSWORD = "correct horse battery staple"
PROBLEM = "application/problem+json"
ISSUER, AUDIENCE = "duckshop", "duckshop-api"


def derive_key(purpose: str) -> bytes:
    """As app/core/config.py derives its keys from SECRET_KEY (provided code)."""
    return hmac.new(SECRET.encode(), purpose.encode(), hashlib.sha256).digest()


TOKEN_KEY = derive_key("duckshop access tokens")


def shop_env(sandbox, db_path: Path | None = None, **extra: str) -> tuple[dict, Path]:
    """The env of an app on a database file the suite can read and write (a new one unless
    `db_path` is given), and the file."""
    if db_path is None:
        directory = Path(sandbox.scratch_dir) / f"shop-{uuid.uuid4().hex[:10]}"
        directory.mkdir()
        os.chmod(directory, 0o777)  # the app (another user) creates journal files here
        db_path = directory / "shop.db"
        db_path.touch()
        os.chmod(db_path, 0o666)
    env = {
        "DATABASE_URL": f"sqlite:///{db_path}",
        "SECRET_KEY": SECRET,
        "ACCESS_TOKEN_TTL_S": str(TTL_S),
        "SCRYPT_N": str(2**12),  # cheap hashes: the suite registers many customers
        **extra,
    }
    return env, db_path


@dataclass
class Customer:
    id: int
    email: str
    headers: dict  # Authorization: Bearer <a token the suite signed>


class Shop:
    """A learner app on its own SQLite file, plus the suite's view of that file."""

    def __init__(self, app, db_path: Path):
        self.app, self.db_path = app, db_path

    @property
    def url(self) -> str:
        return self.app.url

    def request(self, method, path, **kwargs) -> httpx.Response:
        return self.app.request(method, path, **kwargs)

    def sql(self, statement: str, params=()) -> list[tuple]:
        with closing(sqlite3.connect(self.db_path, timeout=15)) as db, db:
            return db.execute(statement, params).fetchall()

    def insert_products(self, prices: list[int], category: str = "suite", stock: int = 5) -> list[int]:
        """Add products behind the app's back; their ids, in the order of `prices`."""
        with closing(sqlite3.connect(self.db_path, timeout=15)) as db, db:
            return [
                db.execute(
                    "INSERT INTO products (sku, name, category, price_cents, stock, version) VALUES (?, ?, ?, ?, ?, 1)",
                    (f"T-{uuid.uuid4().hex[:12]}", "Suite Duck", category, price, stock),
                ).lastrowid
                for price in prices
            ]

    def delete_products(self, ids: list[int]) -> None:
        self.sql(f"DELETE FROM products WHERE id IN ({','.join('?' * len(ids))})", ids)

    def product_row(self, product_id: int) -> dict:
        names = ("id", "sku", "name", "category", "price_cents", "stock")
        (row,) = self.sql(f"SELECT {', '.join(names)} FROM products WHERE id = ?", (product_id,))
        return dict(zip(names, row))

    def add_customer(self, role: str = "customer", customer_id: int | None = None) -> Customer:
        """A customer (or staff member) added to the table directly, with a token the suite signed;
        with the next id, or with ``customer_id``."""
        email = unique_email(role)
        with closing(sqlite3.connect(self.db_path, timeout=15)) as db, db:
            customer_id = db.execute(
                "INSERT INTO customers (id, email, name, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    customer_id,
                    email,
                    "Suite Duckling",
                    "!unusable",
                    role,
                    datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
                ),
            ).lastrowid
        return Customer(customer_id, email, bearer(token_for(customer_id)))

    def add_order(self, customer_id: int, created_at: str, total_cents: int = 0) -> int:
        """An order without lines, placed behind the app's back (created_at as SQLite stores it)."""
        (row,) = self.sql(
            "INSERT INTO orders (customer_id, status, total_cents, created_at) VALUES (?, 'pending', ?, ?) RETURNING id",
            (customer_id, total_cents, created_at),
        )
        return row[0]


def token_for(customer_id: int, key: bytes | str = TOKEN_KEY, algorithm: str = "HS256", **changes) -> str:
    """A token as R31 describes it; `changes` replace claims (None removes one)."""
    now = datetime.now(UTC)
    claims = {
        "sub": str(customer_id),
        "iat": now,
        "exp": now + timedelta(seconds=TTL_S),
        "iss": ISSUER,
        "aud": AUDIENCE,
        **changes,
    }
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm=algorithm)


def unique_email(label: str = "duck") -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}@example.com"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def expect(response: httpx.Response, status: int, what: str, rule: str = "") -> httpx.Response:
    """Fail unless the answer has this status: what was sent, expected and got, in one line."""
    if response.status_code != status:
        body = " ".join(response.text.split())[:200]
        fail(f"{what}: expected {status}, got {response.status_code} {body!r}" + (f" ({rule})" if rule else ""))
    return response


def expect_problem(response: httpx.Response, what: str) -> dict:
    """The answer is an error, sent as an RFC 9457 problem (README, R1); which error is for other rules."""
    if response.status_code < 400:
        fail(f"{what}: expected an error, got {response.status_code} {response.text[:100]!r}")
    content_type = response.headers.get("content-type", "")
    if not content_type.startswith(PROBLEM):
        fail(f"{what}: an error must be sent as {PROBLEM} (R1), got Content-Type {content_type!r}")
    try:
        body = response.json()
    except ValueError:
        fail(f"{what}: a problem is a JSON object, got {response.text[:100]!r}")
    if not isinstance(body, dict):
        fail(f"{what}: a problem is a JSON object, got {body!r:.100}")
    for member in ("type", "title", "detail"):
        if not isinstance(body.get(member), str):
            fail(f"{what}: the problem needs a string {member!r} (R1), got {body!r:.200}")
    if body.get("status") != response.status_code:
        fail(
            f"{what}: the problem's status must be {response.status_code}, the HTTP status (R1), got {body.get('status')!r}"
        )
    return body


def field_errors(body: dict) -> list[dict]:
    errors = body.get("errors")
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def json_of(response: httpx.Response, what: str):
    try:
        return response.json()
    except ValueError:
        fail(f"{what}: expected a JSON body, got {response.text[:100]!r}")


def page_of(response: httpx.Response, what: str) -> tuple[list[dict], str | None]:
    """(items, next_cursor) of a 200 page, failing in one line if it isn't one."""
    expect(response, 200, what)
    body = json_of(response, what)
    if not (isinstance(body, dict) and isinstance(body.get("items"), list)):
        fail(f'{what}: a page is {{"items": [...], "next_cursor": ...}} (R12), got {response.text[:150]!r}')
    return body["items"], body.get("next_cursor")


def next_url(response: httpx.Response, app_url: str, current: str) -> str | None:
    """The rel="next" link (relative or absolute), resolved against the page that carried it."""
    link = response.links.get("next", {}).get("url")
    return str(httpx.URL(app_url + "/").join(current).join(link)) if link else None


def walk(shop, path: str, headers: dict | None = None, on_page=None, max_pages: int = 60) -> list[dict]:
    """Follow Link rel="next" from `path`: every item of every page, in order."""
    items, url, pages = [], path, 0
    while url:
        response = shop.request("GET", url, headers=headers or {})
        page, _ = page_of(response, f"GET {url}")
        items.extend(page)
        pages += 1
        if pages > max_pages:
            fail(f'following Link rel="next" from {path} did not end after {max_pages} pages (R16)')
        url = next_url(response, shop.url, url)
        if on_page and url:
            on_page(pages, page)
    return items


def ids(items: list[dict]) -> list:
    return [item.get("id") for item in items]


_B64 = re.compile(r"^[A-Za-z0-9_\-+/]+={0,2}$")


def edited_cursors(cursor: str) -> list[str]:
    """Cursors a server did not issue, made from one it did: a number inside changed, in
    whatever encoding it was found (plain text, base64, base64url, hex), with the rest kept
    and with the rest dropped (an unsigned copy); every '.'-separated part tried."""
    variants = []
    parts = cursor.split(".")
    for index, part in enumerate(parts):
        for decoded, encode in _decodings(part):
            edited = _change_a_number(decoded)
            if edited is None:
                continue
            new_part = encode(edited)
            variants.append(".".join([*parts[:index], new_part, *parts[index + 1 :]]))
            if len(parts) > 1:
                variants.append(new_part)
    return [v for v in dict.fromkeys(variants) if v != cursor]


def _decodings(part: str):
    yield part, lambda text: text  # the cursor itself, as text: "899:2"
    if len(part) >= 4 and _B64.match(part):
        padded = part + "=" * (-len(part) % 4)
        for decode, encode in (
            (base64.urlsafe_b64decode, base64.urlsafe_b64encode),
            (base64.b64decode, base64.b64encode),
        ):
            try:
                text = decode(padded).decode("utf-8")
            except (binascii.Error, ValueError):
                continue
            keep_padding = part.endswith("=")
            yield (
                text,
                lambda t, e=encode, k=keep_padding: e(t.encode()).decode() if k else e(t.encode()).decode().rstrip("="),
            )
    if len(part) >= 4 and len(part) % 2 == 0 and re.fullmatch(r"[0-9a-fA-F]+", part):
        try:
            yield bytes.fromhex(part).decode("utf-8"), lambda t: t.encode().hex()
        except ValueError:
            pass


def _change_a_number(text: str) -> str | None:
    """The text with its last number changed (n -> n - 1, or 2 for 1): another plausible key."""
    if not text.isprintable():
        return None
    numbers = list(re.finditer(r"\d+", text))
    if not numbers:
        return None
    last = numbers[-1]
    value = int(last.group())
    return text[: last.start()] + str(value - 1 if value > 1 else 2) + text[last.end() :]
