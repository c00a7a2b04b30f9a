"""Part 'validation': the Idempotency-Key header and the body are checked before anything is stored."""

import pytest

from conftest import BODY, describe, is_problem, new_key


def test_missing_key_is_a_400_problem(payments, provider):
    response = payments.pay(None)
    assert is_problem(response, 400), f"POST /payments without Idempotency-Key should be a 400 problem+json, got {describe(response)}"
    assert provider.charges() == [], "a payment without an Idempotency-Key must not reach the provider"


@pytest.mark.parametrize("key", ["", "k" * 256, "two words", '"half-quoted'], ids=["empty", "256-chars", "space", "quote"])
def test_malformed_key_is_a_400_problem(payments, provider, key):
    response = payments.pay(key)
    assert is_problem(response, 400), f"Idempotency-Key {key[:40]!r} is malformed and should be a 400 problem+json, got {describe(response)}"
    assert provider.charges() == []


@pytest.mark.parametrize("body", [
    {**BODY, "amount_cents": 0}, {**BODY, "amount_cents": "2599"}, {**BODY, "amount_cents": 2.5},
    {**BODY, "currency": "eur"}, {k: v for k, v in BODY.items() if k != "card"}, [BODY],
], ids=["zero", "string", "float", "lowercase-currency", "no-card", "list"])
def test_invalid_body_is_a_422_problem(payments, provider, body):
    response = payments.pay(new_key(), body)
    assert is_problem(response, 422), f"an invalid body should be a 422 problem+json, got {describe(response)}"
    assert provider.charges() == []


def test_failed_validation_stores_nothing(payments, provider):
    key = new_key()
    rejected = payments.pay(key, {**BODY, "amount_cents": -5})
    assert rejected.status_code == 422, f"a negative amount should be 422, got {describe(rejected)}"
    fixed = payments.pay(key, BODY)
    assert fixed.status_code == 201, (
        f"after a 422 for an invalid body, the corrected request with the same key should be processed (201), "
        f"got {describe(fixed)}: a request that failed validation must store nothing under its key")
    assert len(provider.charges()) == 1
