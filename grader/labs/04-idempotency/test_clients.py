"""Part 'scope': keys belong to a client; two clients can use the same key without meeting."""

from conftest import BODY, describe, is_problem, new_key


def test_missing_client_id_is_a_401_problem(payments, provider):
    response = payments.app.request("POST", "/payments", json=BODY, headers={"Idempotency-Key": new_key()})
    assert is_problem(response, 401), f"a payment without X-Client-Id should be a 401 problem+json, got {describe(response)}"
    assert provider.charges() == []


def test_the_same_key_from_two_clients_makes_two_payments(payments, provider):
    key = new_key()
    alice = payments.pay(key, client_id="alice-" + key[:8])
    bob = payments.pay(key, client_id="bob-" + key[:8])
    assert alice.status_code == bob.status_code == 201, f"{describe(alice)} / {describe(bob)}"
    assert bob.headers.get("Idempotent-Replayed") != "true" and bob.json()["id"] != alice.json()["id"], (
        "bob got alice's payment back: keys must be scoped per client (unique on client and key)")
    assert len(provider.charges()) == 2


def test_a_client_never_sees_another_clients_response(payments, provider):
    key = new_key()
    alice = payments.pay(key, client_id="alice-" + key[:8])
    assert alice.status_code == 201
    bob_body = {**BODY, "order_id": "bobs-order", "amount_cents": 100}
    bob = payments.pay(key, bob_body, client_id="bob-" + key[:8])
    assert bob.status_code == 201, f"bob's first payment with this key should be 201, got {describe(bob)}"
    assert bob.json().get("order_id") == "bobs-order" and bob.json().get("amount_cents") == 100, (
        f"bob got someone else's payment: {bob.text[:200]}")
