"""Part 'scope': payments are made by authenticated clients, and keys belong to their client (R1, R13)."""

import pytest
from conftest import BODY, Payments, charged, describe, is_problem, new_key, paid


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer sk_test_nobody", "Basic Y2xpZW50LTAwMDpzZWNyZXQ=", "Basic {api_key}", "Bearer", "X-Client-Id"],
    ids=["missing", "unknown-key", "basic", "basic-with-a-valid-key", "no-key", "self-asserted"],
)
def test_a_payment_without_a_valid_api_key_is_a_401_problem(payments, provider, authorization):
    if authorization is None:
        headers = {}
    elif authorization == "X-Client-Id":  # naming yourself proves nothing
        headers = {"X-Client-Id": payments.client_id}
    else:
        headers = {"Authorization": authorization.format(api_key=payments.api_key)}
    response = payments.app.request("POST", "/payments", json=BODY, headers={"Idempotency-Key": new_key(), **headers})
    assert is_problem(response, 401), (
        f"{headers or 'no credentials'}: expected a 401 problem+json, got {describe(response)}"
    )
    challenge = response.headers.get("WWW-Authenticate", "")
    assert challenge.lower().startswith("bearer"), (
        f"a 401 says how to authenticate (RFC 9110): expected WWW-Authenticate: Bearer ..., got {challenge!r}"
    )
    charges = provider.charges()
    assert charges == [], (
        f"POST /payments with {headers or 'no credentials'} was refused, yet reached the provider: expected no "
        f"charge, got {charged(charges)} - check the API key before anything else (R1, R5)"
    )


def test_the_same_key_from_two_clients_makes_two_payments(payments, clients, provider):
    key = new_key()
    bob = Payments(payments.app, clients)
    alice_paid, bob_paid = payments.pay(key), bob.pay(key)
    assert alice_paid.status_code == bob_paid.status_code == 201, (
        f"the same Idempotency-Key from two clients: expected 201 for each (R13), got {describe(alice_paid)} for "
        f"the first and {describe(bob_paid)} for the second"
    )
    assert bob_paid.headers.get("Idempotent-Replayed") != "true" and bob_paid.json()["id"] != alice_paid.json()["id"], (
        f"a second client sending the first client's Idempotency-Key: expected a new payment, got the first "
        f"client's back ({describe(bob_paid)}) - keys belong to a client: unique on (client, key), not on the key (R13)"
    )
    charges = provider.charges()
    assert len(charges) == 2, f"two clients, two payments: expected 2 charges, got {len(charges)}"


def test_a_client_never_sees_another_clients_response(payments, clients, provider):
    key = new_key()
    paid(payments, key)
    bob = Payments(payments.app, clients)
    bob_body = {**BODY, "order_id": "bobs-order", "amount_cents": 100}
    bob_paid = bob.pay(key, bob_body)
    assert bob_paid.status_code == 201, (
        f"a second client's first payment with a key another client used: expected 201 (R13), got {describe(bob_paid)}"
    )
    assert bob_paid.json().get("order_id") == "bobs-order" and bob_paid.json().get("amount_cents") == 100, (
        f"a second client paying 100 cents for bobs-order with a key another client used: expected its own payment, "
        f"got someone else's {bob_paid.text[:200]} (R13)"
    )
