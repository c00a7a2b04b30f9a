"""Customers and authentication: registering, lower-cased emails, hashed passwords, logging in,
the token's claims, and every kind of bad token (README, R27-R33)."""

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from _shop import (
    AUDIENCE,
    ISSUER,
    PASSWORD,
    SECRET,
    TOKEN_KEY,
    TTL_S,
    Shop,
    bearer,
    derive_key,
    expect,
    json_of,
    shop_env,
    token_for,
    unique_email,
)

from grader.testing import LearnerApp, fail, running


def register(shop, email=None, password=PASSWORD, **extra) -> dict:
    body = {"email": email or unique_email(), "password": password, "name": "Test Duckling", **extra}
    response = expect(shop.request("POST", "/customers", json=body), 201, f"POST /customers {body['email']}", "R27")
    return json_of(response, "POST /customers")


def log_in(shop, email, password=PASSWORD):
    return shop.request("POST", "/auth/token", json={"email": email, "password": password})


def token(shop, email, password=PASSWORD) -> str:
    response = expect(log_in(shop, email, password), 200, f"POST /auth/token for {email}", "R30")
    access_token = json_of(response, "POST /auth/token").get("access_token")
    if not (isinstance(access_token, str) and access_token):
        fail(f"POST /auth/token answers an access_token (R30), got {response.text[:200]!r}")
    return access_token


def expect_401(response, what: str) -> None:
    expect(response, 401, what, "R32")
    challenge = response.headers.get("www-authenticate", "")
    if not challenge.lower().startswith("bearer"):
        fail(f"{what}: a 401 says how to authenticate, WWW-Authenticate: Bearer (R32), got {challenge!r}")


def test_register_is_201_with_a_location(shop):
    email = unique_email()
    response = shop.request("POST", "/customers", json={"email": email, "password": "s3cret-passw0rd", "name": "Ada"})
    expect(response, 201, "POST /customers", "R27")
    body = json_of(response, "POST /customers")
    want = {"id": body.get("id"), "email": email, "name": "Ada", "role": "customer"}
    if body != want or not isinstance(body.get("id"), int):
        fail(f"POST /customers answers the new customer {want} (R27), got {body}")
    location = response.headers.get("location", "")
    if not location.rstrip("/").endswith(f"/customers/{body['id']}"):
        fail(f"a 201 Created carries Location: /customers/{body['id']} (R27), got {location!r}")
    followed = shop.request("GET", location, headers=bearer(token_for(body["id"])))
    if followed.status_code != 200 or json_of(followed, f"GET {location}").get("id") != body["id"]:
        fail(f"GET {location} (the Location) returns the new customer to them (R27), got {followed.status_code}")


def test_emails_are_case_insensitive(shop):
    local = unique_email().split("@")[0]
    created = register(shop, email=f"{local.title()}@Example.COM")
    if created.get("email") != f"{local}@example.com":
        fail(
            f"emails are stored and returned in lower case (R28): registered {local.title()}@Example.COM, got {created.get('email')!r}"
        )
    again = shop.request(
        "POST", "/customers", json={"email": f"{local}@example.com", "password": PASSWORD, "name": "Twin"}
    )
    expect(again, 409, f"registering {local}@example.com after {local.title()}@Example.COM", "R28")
    upper = f"{local.upper()}@EXAMPLE.com"
    expect(log_in(shop, upper), 200, f"logging in as {upper}", "R28")


def test_passwords_are_stored_as_salted_slow_hashes(shop):
    same = "Quackers-" + unique_email("pw")[3:13]
    twins = [register(shop, password=same), register(shop, password=same)]
    other = register(shop, password=same + "!")
    stored = b"".join(p.read_bytes() for p in shop.db_path.parent.iterdir() if p.name.startswith(shop.db_path.name))
    if same.encode() in stored:
        fail("the database holds the password in plain text: store a salted hash (scrypt) (R29)")
    encoded = {
        base64.b64encode(same.encode()).decode(),
        base64.urlsafe_b64encode(same.encode()).decode(),
        same.encode().hex(),
    }
    fast = {hashlib.new(name, same.encode()).hexdigest() for name in ("md5", "sha1", "sha256", "sha512")}
    fast |= {base64.b64encode(hashlib.new(name, same.encode()).digest()).decode() for name in ("sha256", "sha512")}
    columns = [row[1] for row in shop.sql("PRAGMA table_info(customers)")]
    rows = {row["id"]: row for row in (dict(zip(columns, values)) for values in shop.sql("SELECT * FROM customers"))}
    a, b, c = (rows[body["id"]] for body in (*twins, other))
    for column in columns:
        for value in (a[column], b[column]):
            if isinstance(value, str) and any(known.rstrip("=") in value for known in encoded | fast):
                fail(
                    f"customers.{column} holds a fast, unsalted hash or an encoding of the password: use scrypt with a random salt (R29)"
                )
        if a[column] == b[column] and a[column] != c[column]:
            fail(
                f"customers.{column} is the same for two customers with the same password: the hash needs a random salt per customer (R29)"
            )


def test_passwords_are_never_sent_back(shop):
    secret = "Never-Echo-" + unique_email("x")[2:12]
    created = shop.request("POST", "/customers", json={"email": unique_email(), "password": secret, "name": "Q"})
    expect(created, 201, "POST /customers", "R27")
    customer = json_of(created, "POST /customers")
    me = shop.request("GET", "/customers/me", headers=bearer(token(shop, customer["email"], secret)))
    (stored,) = shop.sql("SELECT password_hash FROM customers WHERE id = ?", (customer["id"],))[0]
    for what, response in (("POST /customers", created), ("GET /customers/me", me)):
        if secret in response.text or (len(stored) > 8 and stored in response.text) or "password" in response.text:
            fail(f"{what} sent back the password or its hash: {response.text[:200]!r} (R29)")


def test_clients_cannot_make_themselves_staff(shop):
    email = unique_email("mallory")
    body = {"email": email, "password": "mallory-pass", "name": "M"}
    sneaky = shop.request("POST", "/customers", json={**body, "role": "admin"})
    if sneaky.status_code not in (201, 422):
        fail(f"registering with role=admin: an unknown field is refused (422, R6), got {sneaky.status_code}")
    honest = shop.request("POST", "/customers", json=body)
    expect(honest, 409 if sneaky.status_code == 201 else 201, f"registering {email} again, without a role", "R27")
    stored = shop.sql("SELECT role FROM customers WHERE email = ?", (email,))
    if stored != [("customer",)]:
        fail(f"registering with role=admin stored the role {stored}: mass assignment (R36)")


def test_login_checks_the_password(shop):
    me = register(shop)
    wrong = log_in(shop, me["email"], PASSWORD + "x")
    unknown = log_in(shop, unique_email(), PASSWORD)
    expect_401(wrong, "a wrong password")
    expect_401(unknown, "an unknown email")
    if json_of(wrong, "a wrong password").get("detail") != json_of(unknown, "an unknown email").get("detail"):
        fail(
            f"a wrong password and an unknown email get the same answer (R30): {wrong.text[:120]!r} vs {unknown.text[:120]!r}"
        )
    response = expect(log_in(shop, me["email"]), 200, "the right password", "R30")
    body = json_of(response, "POST /auth/token")
    if (
        body.get("token_type") != "bearer"
        or body.get("expires_in") != TTL_S
        or not isinstance(body.get("access_token"), str)
    ):
        fail(
            f'POST /auth/token answers {{"access_token": ..., "token_type": "bearer", "expires_in": {TTL_S}}} (R30), got {body}'
        )


def test_the_token_carries_the_documented_claims(shop):
    me = register(shop)
    issued = token(shop, me["email"])
    header = jwt.get_unverified_header(issued)
    if header.get("alg") != "HS256":
        fail(f"the token is signed with HS256 (R31), its header says {header}")
    try:
        claims = jwt.decode(
            issued,
            TOKEN_KEY,
            algorithms=["HS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["sub", "iat", "exp", "iss", "aud"]},
        )
    except jwt.InvalidTokenError as exc:
        fail(f"the token must verify with settings.token_key, aud {AUDIENCE!r} and iss {ISSUER!r} (R31): {exc}")
    now = datetime.now(UTC).timestamp()
    if claims["sub"] != str(me["id"]):
        fail(f"sub is the customer id as a string, {str(me['id'])!r} (R31), got {claims['sub']!r}")
    if not abs(claims["iat"] - now) < 120 or abs(claims["exp"] - claims["iat"] - TTL_S) > 1:
        fail(
            f"iat is now and exp = iat + ACCESS_TOKEN_TTL_S ({TTL_S} s) (R31), got iat {claims['iat']}, exp {claims['exp']} at {now:.0f}"
        )


def test_missing_credentials_are_401(shop):
    for method, path, headers in (
        ("GET", "/customers/me", {}),
        ("GET", "/orders", {}),
        ("POST", "/orders", {}),
        ("PATCH", "/products/1", {"If-Match": "*"}),
        ("GET", "/customers/me", {"Authorization": "Basic ZHVjazpxdWFjaw=="}),
        ("GET", "/customers/me", {"Authorization": "Bearer"}),
        ("GET", "/customers/me", {"Authorization": f"Token {token_for(1)}"}),
    ):
        body = {"items": [{"product_id": 1, "quantity": 1}]} if method == "POST" else {"stock": 1}
        kwargs = {"json": body} if method in ("POST", "PATCH") else {}
        expect_401(
            shop.request(method, path, headers=headers, **kwargs), f"{method} {path} with {headers or 'no credentials'}"
        )


def test_expired_tokens_are_401(shop):
    me = register(shop)
    past = datetime.now(UTC) - timedelta(minutes=5)
    for what, forged in (
        ("a token whose exp has passed", token_for(me["id"], exp=past, iat=past - timedelta(seconds=TTL_S))),
        ("a token without exp (it would never expire)", token_for(me["id"], exp=None)),
    ):
        expect_401(shop.request("GET", "/customers/me", headers=bearer(forged)), f"GET /customers/me with {what}")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_forged_tokens_are_401(shop):
    victim = register(shop)
    issued = token(shop, register(shop)["email"])
    header, payload, signature = issued.split(".")
    exp = int((datetime.now(UTC) + timedelta(minutes=10)).timestamp())
    claims = {"sub": str(victim["id"]), "iat": exp - 600, "exp": exp, "iss": ISSUER, "aud": AUDIENCE}
    forgeries = {
        "signed with another key": token_for(victim["id"], key=b"not-the-key-" * 4),
        "signed with SECRET_KEY itself, not the token key": token_for(victim["id"], key=SECRET),
        "signed with the cursor key": token_for(victim["id"], key=derive_key("duckshop cursors")),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
        "payload swapped, signature kept": f"{header}.{_b64(claims)}.{signature}",
        "signature cut off": f"{header}.{payload}.",
        "garbage": "quack.quack.quack",
    }
    for what, forged in forgeries.items():
        expect_401(shop.request("GET", "/customers/me", headers=bearer(forged)), f"a forged token ({what})")


def test_tokens_for_another_audience_or_issuer_are_401(shop):
    me = register(shop)
    for what, claims in (
        ("for another audience", {"aud": "duckshop-admin"}),
        ("without an audience", {"aud": None}),
        ("from another issuer", {"iss": "quackbank"}),
        ("without an issuer", {"iss": None}),
    ):
        expect_401(
            shop.request("GET", "/customers/me", headers=bearer(token_for(me["id"], **claims))), f"a token {what}"
        )


def test_a_token_of_a_deleted_customer_is_401(shop):
    gone = shop.add_customer()
    shop.sql("DELETE FROM customers WHERE id = ?", (gone.id,))
    for method, path in (("GET", "/customers/me"), ("GET", "/orders")):
        expect_401(
            shop.request(method, path, headers=gone.headers),
            f"{method} {path} with the token of a customer who no longer exists",
        )


def test_a_token_whose_subject_is_no_customer_id_is_401(shop):
    for subject in ("abc", "7.0", "-1", "0x1f", "99999999999999999999"):
        expect_401(
            shop.request("GET", "/customers/me", headers=bearer(token_for(0, sub=subject))),
            f"a token signed with the token key whose sub is {subject!r}, not the id of a customer",
        )


def test_customers_see_themselves_only(shop):
    me, other = shop.add_customer(), shop.add_customer()
    mine = expect(shop.request("GET", "/customers/me", headers=me.headers), 200, "GET /customers/me", "R33")
    if json_of(mine, "GET /customers/me") != {
        "id": me.id,
        "email": me.email,
        "name": "Suite Duckling",
        "role": "customer",
    }:
        fail(f"GET /customers/me answers the caller, customer {me.id} (R33), got {mine.text[:200]!r}")
    by_id = expect(
        shop.request("GET", f"/customers/{me.id}", headers=me.headers), 200, f"GET /customers/{me.id} (mine)", "R33"
    )
    if json_of(by_id, f"GET /customers/{me.id}").get("id") != me.id:
        fail(f"GET /customers/{me.id} answers customer {me.id} to themselves (R33), got {by_id.text[:200]!r}")
    for customer_id in (other.id, 987654321):
        expect(
            shop.request("GET", f"/customers/{customer_id}", headers=me.headers),
            404,
            f"GET /customers/{customer_id} (not mine)",
            "R33",
        )


def test_a_caller_reads_their_own_id_whatever_its_size(shop):
    ((highest,),) = shop.sql("SELECT coalesce(max(id), 0) FROM customers")
    for customer_id in (highest + 300, highest + 1000):  # past 256: Python keeps one object of each small int
        me = shop.add_customer(customer_id=customer_id)
        response = shop.request("GET", f"/customers/{me.id}", headers=me.headers)
        expect(response, 200, f"GET /customers/{me.id} with customer {me.id}'s own token", "R33")
        got = json_of(response, f"GET /customers/{me.id}").get("id")
        if got != me.id:
            fail(
                f"GET /customers/{me.id} answers customer {me.id} to themselves (R33), got id {got!r}: compare ids "
                "with == (`is` compares objects, and two equal ints above 256 are two objects)"
            )


@pytest.mark.timeout(180)  # a second app and one 128 MiB hash: seconds on a quiet machine, a minute on a loaded one
def test_the_default_scrypt_cost_works(sandbox, _shop_app, shop):
    _, db_path = _shop_app
    cheap = {"email": unique_email("cheap"), "password": PASSWORD, "name": "Cheap Duckling"}
    what = "this test needs registration to work first, with the suite's SCRYPT_N=4096: POST /customers"
    expect(shop.request("POST", "/customers", json=cheap), 201, what, "R27")  # the scaffold: no second app
    env, _ = shop_env(sandbox, db_path, SCRYPT_N=str(2**17))  # the default: 128 MiB of scrypt memory a hash
    patient = sandbox.replace(
        startup_timeout_s=max(sandbox.startup_timeout_s, 60), request_timeout_s=max(sandbox.request_timeout_s, 60)
    )
    app = LearnerApp(patient, env=env)
    try:
        costly = Shop(running(app), db_path)
        body = {"email": unique_email("costly"), "password": PASSWORD, "name": "Costly Duckling"}
        what = "with SCRYPT_N=131072 (the default, 2**17: 128 MiB a hash, above hashlib.scrypt's 32 MiB maxmem)"
        expect(costly.request("POST", "/customers", json=body), 201, f"POST /customers {what}", "R29")
    finally:
        app.stop()
