"""Part 'replay': the first response is stored and every retry gets it back, marked as a replay,
for as long as the key is kept (R6, R7, R9, R10, R19)."""

import time

from conftest import BODY, TTL_S, describe, is_problem, new_key, paid, retry_until_done, same_json

DECLINED = {**BODY, "card": "tok_declined"}


def test_a_payment_is_201_and_charges_once(payments, provider):
    response = payments.pay(new_key())
    assert response.status_code == 201, f"a valid payment: expected 201, got {describe(response)}"
    assert response.headers.get("content-type", "").startswith("application/json"), (
        f"a 201 payment is application/json (R6), got {describe(response)}"
    )
    charges = provider.charges()
    assert len(charges) == 1, f"expected one charge at the provider, got {len(charges)}"
    charged = {k: charges[0][k] for k in ("amount_cents", "currency", "card", "reference")}
    wanted = {"amount_cents": 2599, "currency": "EUR", "card": "tok_visa", "reference": "order-1001"}
    assert charged == wanted, f"the charge at the provider: expected {wanted}, got {charged}"
    body = response.json()
    expected = {**{k: BODY[k] for k in ("order_id", "amount_cents", "currency")}, "status": "succeeded"}
    expected["provider_charge_id"] = charges[0]["id"]
    assert {k: body.get(k) for k in expected} == expected and set(body) == {*expected, "id"}, (
        f"the 201 body: expected {expected} and an id, got {body}"
    )
    assert isinstance(body["id"], str) and body["id"], f"the payment's id is a non-empty string, got {body['id']!r}"
    assert response.headers.get("Idempotent-Replayed") != "true", (
        "the first request with a key is not a replay: expected no Idempotent-Replayed: true, got "
        f"Idempotent-Replayed: {response.headers.get('Idempotent-Replayed')} (R9)"
    )


def test_a_retry_gets_the_stored_response_exactly(payments, provider):
    key = new_key()
    first = paid(payments, key)
    for attempt in range(3):
        retry = payments.pay(key)
        assert retry.status_code == 201, f"retry {attempt + 1}: expected the stored 201, got {describe(retry)}"
        assert retry.content == first.content, (
            f"a retry gets the stored body byte for byte:\nexpected {first.text}\ngot      {retry.text}"
        )
        assert retry.headers.get("content-type") == first.headers.get("content-type"), (
            f"a replay has the stored Content-Type: expected {first.headers.get('content-type')}, "
            f"got {retry.headers.get('content-type')}"
        )
        assert retry.headers.get("Idempotent-Replayed") == "true", (
            f"mark a replayed response with Idempotent-Replayed: true, got {retry.headers.get('Idempotent-Replayed')}"
        )
    asked = len(provider.requests())
    assert asked == 1, (
        f"a payment and 3 retries asked the provider {asked} times, expected once: a replay is answered from the "
        "database, without asking the provider (R9)"
    )


def test_different_keys_make_different_payments(payments, provider):
    first_key = new_key()
    first, second = payments.pay(first_key), payments.pay(new_key())
    assert first.status_code == second.status_code == 201, (
        f"two payments with different keys: expected 201 for each, got {describe(first)} and {describe(second)}"
    )
    assert first.json()["id"] != second.json()["id"], (
        f"two keys are two payments, even for the same body (R10): expected two payment ids, got "
        f"{first.json()['id']!r} for both"
    )
    charges = provider.charges()
    assert len(charges) == 2, f"two different keys: expected 2 charges, got {len(charges)} - the key decides (R10)"
    retry = payments.pay(first_key)
    assert same_json(retry, first), (
        f"the first key, retried after a second payment: expected its own stored payment {first.text}, got "
        f"{describe(retry)} - store a response in its own key row only"
    )


def test_a_declined_card_is_stored_and_replayed(payments, provider):
    key = new_key()
    first = payments.pay(key, DECLINED)
    assert is_problem(first, 402), f"a declined card: expected a 402 problem+json, got {describe(first)}"
    retry = payments.pay(key, DECLINED)
    calls = len(provider.requests())
    assert calls == 1, f"the provider was asked {calls} times: a decline is a final answer, stored and replayed (R7)"
    assert is_problem(retry, 402) and same_json(retry, first), (
        f"the stored 402 problem+json should be replayed, got {describe(retry)}"
    )
    assert retry.headers.get("Idempotent-Replayed") == "true", (
        "mark a replayed error with Idempotent-Replayed: true (R9), got Idempotent-Replayed: "
        f"{retry.headers.get('Idempotent-Replayed')}"
    )


def test_keys_expire_after_the_retention(ttl_payments, provider):
    api, ttl = ttl_payments, TTL_S
    key = new_key()
    started = time.monotonic()
    first = paid(api, key)
    answered = time.monotonic()  # the key was stored before this moment
    retry = api.pay(key)
    replayed = retry.status_code == 201 and retry.json().get("id") == first.json()["id"]
    if time.monotonic() - started < ttl - 0.5:  # surely within the retention (unless the machine crawls)
        assert replayed, (
            f"{time.monotonic() - started:.1f} s after the first request, within IDEMPOTENCY_TTL_SECONDS={ttl}, "
            f"a retry is a replay, got {describe(retry)} - is the retention read in seconds?"
        )
    time.sleep(max(0.0, answered + ttl + 0.3 - time.monotonic()))
    later = retry_until_done(api, key)
    assert later.status_code == 201 and later.json().get("id") != first.json()["id"], (
        f"with IDEMPOTENCY_TTL_SECONDS={ttl}, the key is forgotten {ttl + 0.3:g} s later and the request "
        f"processed as a new payment: expected a 201 with a new id, got {describe(later)}"
    )
    charges = provider.charges()
    # On a machine so slow that the retry itself came after the retention, it was a new payment too.
    expected = 2 if replayed else 3
    assert len(charges) == expected and len({c["id"] for c in charges}) == expected, (
        f"the new payment needs a new charge: expected {expected} charges, got {len(charges)} - a new payment gets "
        "a new downstream key, or the provider replays the old charge (R17)"
    )
