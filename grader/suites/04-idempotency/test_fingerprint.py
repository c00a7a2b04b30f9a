"""Part 'fingerprint': a key belongs to one request; the same key with another body is a 422 (R11, R12)."""

import pytest
from conftest import BODY, charged, describe, is_problem, new_key, paid, same_json


def test_same_key_with_another_amount_is_a_422_problem(payments, provider):
    key = new_key()
    paid(payments, key)
    response = payments.pay(key, {**BODY, "amount_cents": 1})
    assert is_problem(response, 422), (
        f"the same key with another amount: expected a 422 problem+json, got {describe(response)}"
    )
    charges = provider.charges()
    assert len(charges) == 1, (
        f"a payment, then its key with another amount: expected 1 charge, got {charged(charges)} - a mismatch "
        "never reaches the provider (R11)"
    )


@pytest.mark.parametrize("field,value", [("order_id", "order-9999"), ("currency", "USD"), ("card", "tok_mastercard")])
def test_any_changed_field_is_a_mismatch(payments, provider, field, value):
    key = new_key()
    paid(payments, key)
    response = payments.pay(key, {**BODY, field: value})
    assert is_problem(response, 422), (
        f"the same key with another {field}: expected a 422 problem+json, got {describe(response)} - "
        "the fingerprint covers every field of the body"
    )


def test_a_mismatch_leaves_the_stored_response_alone(payments, provider):
    key = new_key()
    first = paid(payments, key)
    mismatch = payments.pay(key, {**BODY, "amount_cents": 5})
    assert mismatch.status_code == 422, f"the same key with another amount: expected 422, got {describe(mismatch)}"
    retry = payments.pay(key)
    assert retry.status_code == 201 and same_json(retry, first), (
        f"after a 422 for a mismatch, the original request is still replayed: expected {first.text}, "
        f"got {describe(retry)}"
    )
    charges = provider.charges()
    assert len(charges) == 1, (
        f"a payment, a mismatch (422) and a retry of the original: expected 1 charge, got {charged(charges)} (R11)"
    )


@pytest.mark.parametrize(
    "spelling",
    [
        '{"card": "tok_visa", "currency": "EUR", "amount_cents": 2599, "order_id": "order-1001"}',
        '{\n  "order_id" : "order-1001",\n  "amount_cents" : 2599,\n  "currency" : "EUR",\n  "card" : "tok_visa"\n}',
        '{"order_id": "order-1001", "amount_cents": 2599, "currency": "\\u0045UR", "card": "tok_\\u0076isa"}',
    ],
    ids=["reordered", "whitespace", "escapes"],
)
def test_the_same_payload_written_differently_is_a_replay(payments, provider, spelling):
    key = new_key()
    first = paid(payments, key)
    retry = payments.pay(key, content=spelling)
    assert retry.status_code == 201 and same_json(retry, first), (
        f"the same JSON object written differently is the same request (R12) and is replayed, got "
        f"{describe(retry)}: fingerprint the parsed body, not its bytes"
    )
