"""Authentication: 401 + WWW-Authenticate, expiring and unforgeable tokens, hashed passwords."""

import base64
import hashlib
import json
import time
from datetime import datetime, timedelta, timezone

import jwt

from _shop import PASSWORD, SECRET, bearer, customer, fresh_shop, login, register, unique_email


def assert_401(response, what):
    assert response.status_code == 401, f"{what}: expected 401, got {response.status_code}: {response.text[:200]}"
    challenge = response.headers.get("www-authenticate", "")
    assert challenge.lower().startswith("bearer"), (
        f"{what}: a 401 must say how to authenticate: WWW-Authenticate: Bearer (RFC 9110, 11.6.1), got {challenge!r}"
    )


def test_missing_token_is_401_with_www_authenticate(app):
    for method, path, headers in (
        ("GET", "/customers/me", {}),
        ("GET", "/orders", {}),
        ("POST", "/orders", {}),
        ("GET", "/customers/me", {"Authorization": "Basic ZHVjazpxdWFjaw=="}),
        ("GET", "/customers/me", {"Authorization": "Bearer"}),
    ):
        kwargs = {"json": {"items": [{"product_id": 1, "quantity": 1}]}} if method == "POST" else {}
        assert_401(app.request(method, path, headers=headers, **kwargs), f"{method} {path} with {headers or 'no credentials'}")


def test_login_checks_the_password(app):
    me = register(app)
    assert_401(app.request("POST", "/auth/token", json={"email": me["email"], "password": PASSWORD + "x"}), "a wrong password")
    assert_401(app.request("POST", "/auth/token", json={"email": unique_email(), "password": PASSWORD}), "an unknown email")
    response = app.request("GET", "/customers/me", headers=bearer(login(app, me["email"])))
    assert response.status_code == 200 and response.json()["id"] == me["id"], f"the token should identify its customer, got {response.text[:200]}"


def test_expired_tokens_are_rejected(start_app, sandbox):
    shop = fresh_shop(start_app, sandbox, ttl_s=3)
    me = register(shop)
    token = login(shop, me["email"])
    issued_by = time.monotonic()  # the token was made before this moment: it expires before issued_by + 3
    fresh = shop.request("GET", "/customers/me", headers=bearer(token))
    assert fresh.status_code == 200, f"a new token must work, got {fresh.status_code}"
    time.sleep(max(0.0, issued_by + 3.6 - time.monotonic()))
    assert_401(shop.request("GET", "/customers/me", headers=bearer(token)), "a token past its ACCESS_TOKEN_TTL_S (3 s)")
    past = datetime.now(timezone.utc) - timedelta(minutes=5)
    expired = jwt.encode({"sub": str(me["id"]), "exp": past, "iat": past - timedelta(minutes=15)}, SECRET, algorithm="HS256")
    assert_401(shop.request("GET", "/customers/me", headers=bearer(expired)), "a correctly signed token whose exp has passed")
    never = jwt.encode({"sub": str(me["id"])}, SECRET, algorithm="HS256")
    assert_401(shop.request("GET", "/customers/me", headers=bearer(never)), "a token with no exp (it would never expire)")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_forged_tokens_are_rejected(shop):
    victim = register(shop)
    _, headers = customer(shop)
    token = headers["Authorization"].split()[1]
    exp = datetime.now(timezone.utc) + timedelta(minutes=10)
    header, payload, signature = token.split(".")
    forgeries = {
        "signed with another key": jwt.encode({"sub": str(victim["id"]), "exp": exp}, "not-the-key-" * 4, algorithm="HS256"),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({'sub': str(victim['id']), 'exp': int(exp.timestamp())})}.",
        "payload swapped, signature kept": f"{header}.{_b64({'sub': str(victim['id']), 'exp': int(exp.timestamp())})}.{signature}",
        "signature cut off": f"{header}.{payload}.",
        "garbage": "quack.quack.quack",
    }
    for what, forged in forgeries.items():
        assert_401(shop.request("GET", "/customers/me", headers=bearer(forged)), f"a forged token ({what})")


def test_passwords_are_never_stored_or_returned_in_plain_text(shop):
    same = "Quackers-" + unique_email("pw")[3:13]
    twins = [register(shop, password=same), register(shop, password=same)]
    other = register(shop, password=same + "!")
    texts = [shop.request("GET", "/customers/me", headers=bearer(login(shop, twins[0]["email"], same))).text]
    texts += [json.dumps(body) for body in twins]
    assert not any(same in text for text in texts), "the password (or anything containing it) must never be sent back"
    raw = shop.db_path.read_bytes()
    assert same.encode() not in raw, "the database file contains the password in plain text: store a salted hash (scrypt)"
    fast = {hashlib.new(name, same.encode()).hexdigest() for name in ("md5", "sha1", "sha256", "sha512")}
    fast |= {base64.b64encode(same.encode()).decode(), same.encode().hex()}
    columns = [row[1] for row in shop.sql("PRAGMA table_info(customers)")]
    rows = {row["id"]: row for row in (dict(zip(columns, values)) for values in shop.sql("SELECT * FROM customers"))}
    a, b, c = (rows[body["id"]] for body in (*twins, other))
    for column in columns:
        for value in (a[column], b[column]):
            assert not (isinstance(value, str) and any(f in value for f in fast)), (
                f"customers.{column} holds a fast, unsalted hash or an encoding of the password: use hashlib.scrypt with a random salt"
            )
        assert not (a[column] == b[column] and a[column] != c[column]), (
            f"customers.{column} is equal for two customers with the same password: the hash needs a per-user random salt"
        )
