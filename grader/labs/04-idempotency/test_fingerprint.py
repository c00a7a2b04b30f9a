"""Part 'fingerprint': a key belongs to one request; the same key with another payload is a 422."""

import json

import pytest

from conftest import BODY, describe, is_problem, new_key


def test_same_key_with_another_amount_is_a_422_problem(payments, provider):
    key = new_key()
    assert payments.pay(key).status_code == 201
    response = payments.pay(key, {**BODY, "amount_cents": 1})
    assert is_problem(response, 422), f"the same key with another amount should be a 422 problem+json, got {describe(response)}"
    assert len(provider.charges()) == 1


@pytest.mark.parametrize("field,value", [("order_id", "order-9999"), ("currency", "USD"), ("card", "tok_mastercard")])
def test_any_changed_field_is_a_mismatch(payments, provider, field, value):
    key = new_key()
    assert payments.pay(key).status_code == 201
    response = payments.pay(key, {**BODY, field: value})
    assert response.status_code == 422, f"the same key with another {field} should be 422, got {describe(response)}"


def test_a_mismatch_leaves_the_stored_response_alone(payments, provider):
    key = new_key()
    first = payments.pay(key)
    assert payments.pay(key, {**BODY, "amount_cents": 5}).status_code == 422
    retry = payments.pay(key)
    assert retry.status_code == 201 and retry.content == first.content, f"the original request should still be replayed, got {describe(retry)}"
    assert len(provider.charges()) == 1


def test_the_same_payload_written_differently_is_a_replay(payments, provider):
    key = new_key()
    first = payments.pay(key)
    assert first.status_code == 201, describe(first)
    reordered = json.dumps(dict(reversed(list(BODY.items()))), indent=2)
    retry = payments.pay(key, content=reordered)
    assert retry.status_code == 201 and retry.content == first.content, (
        f"the same JSON object with its keys in another order is the same request and should be replayed, got {describe(retry)}: "
        "fingerprint the parsed body, not its bytes")
