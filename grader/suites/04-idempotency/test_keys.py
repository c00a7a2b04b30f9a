"""Part 'validation': the API key, the Idempotency-Key header and the body are checked, in that
order, before anything is stored (R2, R3, R5)."""

import pytest
from conftest import BODY, charged, describe, is_problem, new_key, same_json


def test_missing_key_is_a_400_problem(payments, provider):
    response = payments.pay(None)
    assert is_problem(response, 400), (
        f"POST /payments without Idempotency-Key: expected a 400 problem+json, got {describe(response)}"
    )
    charges = provider.charges()
    assert charges == [], (
        f"POST /payments without Idempotency-Key must not reach the provider: expected no charge, got "
        f"{charged(charges)} (R2, R5)"
    )


@pytest.mark.parametrize(
    "key",
    ["", "k" * 256, "two words", '"half-quoted', '"half-quoted!', 'in"side', "back\\slash", "caf\u00e9", '""'],
    ids=[
        "empty",
        "256-chars",
        "space",
        "lone-quote",
        "lone-quote-bang",
        "inner-quote",
        "backslash",
        "non-ascii",
        "empty-quoted",
    ],
)
def test_malformed_key_is_a_400_problem(payments, provider, key):
    headers = {"Idempotency-Key": key.encode("utf-8")}  # bytes: httpx sends non-ASCII as it is
    response = payments.pay(None, headers=headers)
    assert is_problem(response, 400), (
        f"Idempotency-Key {key[:40]!r} is malformed (R2): expected a 400 problem+json, got {describe(response)}"
    )
    charges = provider.charges()
    assert charges == [], (
        f"Idempotency-Key {key[:40]!r} is malformed: expected no charge, got {charged(charges)} - a refused request "
        "charges nothing (R5)"
    )


def test_a_quoted_key_is_the_same_key(payments, provider):
    key = new_key()
    first = payments.pay(f'"{key}"')
    assert first.status_code == 201, f"a quoted key (a Structured Field string) is valid: got {describe(first)}"
    retry = payments.pay(key)
    assert retry.status_code == 201 and same_json(retry, first), (
        f'Idempotency-Key "{key}" (quoted) and {key} (bare) are the same key: the retry should replay the first '
        f"payment, got {describe(retry)} - strip the quotes before you store the key"
    )
    long_key = "k" * 255
    long_quoted = payments.pay(f'"{long_key}"')
    assert long_quoted.status_code == 201, (
        f'Idempotency-Key "kkk...k" (255 characters inside the quotes) is a valid key (R2): expected 201, got '
        f"{describe(long_quoted)}"
    )
    other = payments.pay(f"!{key}!")
    assert other.status_code == 201 and other.content != first.content, (
        f"!{key}! is a key of its own (only a pair of double quotes is not part of the key): expected a new "
        f"payment, got {describe(other)}"
    )
    charges = provider.charges()
    assert len(charges) == 3, (
        f'the keys "{key}", {key} (the same key: a replay), "kkk...k" (255 characters) and !{key}!: expected 3 '
        f"charges, got {charged(charges)} (R2)"
    )


@pytest.mark.parametrize(
    "body",
    [
        {**BODY, "amount_cents": 0},
        {**BODY, "amount_cents": 1_000_001},
        {**BODY, "amount_cents": "2599"},
        {**BODY, "amount_cents": 2.5},
        {**BODY, "amount_cents": True},
        {**BODY, "currency": "eur"},
        {**BODY, "order_id": ""},
        {**BODY, "card": "c" * 65},
        {k: v for k, v in BODY.items() if k != "card"},
        {**BODY, "status": "succeeded"},
        [BODY],
    ],
    ids=[
        "zero",
        "too-much",
        "string",
        "float",
        "bool",
        "lowercase-currency",
        "empty-order",
        "long-card",
        "no-card",
        "unknown-field",
        "list",
    ],
)
def test_invalid_body_is_a_422_problem(payments, provider, body):
    response = payments.pay(new_key(), body)
    assert is_problem(response, 422), f"an invalid body (R3): expected a 422 problem+json, got {describe(response)}"
    errors = response.json().get("errors")
    assert isinstance(errors, list) and errors and all("pointer" in e and "detail" in e for e in errors), (
        f"a 422 for an invalid body lists errors: [{{detail, pointer}}], got {response.text[:200]}"
    )
    charges = provider.charges()
    assert charges == [], f"an invalid body (R3): expected no charge, got {charged(charges)} (R5)"


def test_broken_json_is_a_400_that_stores_nothing(payments, provider):
    key = new_key()
    broken = payments.pay(key, content='{"order_id": "order-1001", "amount_cents": ')
    assert is_problem(broken, 400), (
        f"a body that is not valid JSON: expected a 400 problem+json, got {describe(broken)}"
    )
    fixed = payments.pay(key, BODY)
    assert fixed.status_code == 201, (
        f"after a 400 for broken JSON, the same key with a valid body should be processed: expected 201, got "
        f"{describe(fixed)} - a rejected request stores nothing (R4)"
    )


def test_checks_happen_in_order(payments, provider):
    bad_body = {**BODY, "amount_cents": -5}
    nothing_valid = payments.pay("two words", bad_body, api_key="sk_nobody")
    assert nothing_valid.status_code == 401, (
        f"no valid API key, no valid Idempotency-Key, no valid body: the API key is checked first (R5), "
        f"expected 401, got {describe(nothing_valid)}"
    )
    bad_key_and_body = payments.pay("two words", bad_body)
    assert bad_key_and_body.status_code == 400, (
        f"a malformed Idempotency-Key and an invalid body: the key is checked before the body (R5), "
        f"expected 400, got {describe(bad_key_and_body)}"
    )
    charges = provider.charges()
    assert charges == [], (
        f"two requests refused for their API key and their Idempotency-Key: expected no charge, got "
        f"{charged(charges)} (R5)"
    )


def test_failed_validation_stores_nothing(payments, provider):
    key = new_key()
    rejected = payments.pay(key, {**BODY, "amount_cents": -5})
    assert rejected.status_code == 422, f"a negative amount: expected 422, got {describe(rejected)}"
    fixed = payments.pay(key, BODY)
    assert fixed.status_code == 201, (
        f"after a 422 for an invalid body, the corrected request with the same key should be processed: "
        f"expected 201, got {describe(fixed)} - a request that failed validation stores nothing (R5)"
    )
    assert fixed.headers.get("Idempotent-Replayed") != "true", (
        "the corrected request after a 422 is a first request: expected no Idempotent-Replayed: true, got "
        f"{describe(fixed)} marked as a replay - a request that failed validation stores nothing (R5)"
    )
    charges = provider.charges()
    assert len(charges) == 1, (
        f"a 422 for an invalid body, then the corrected request with the same key: expected 1 charge, got "
        f"{charged(charges)} (R5)"
    )
