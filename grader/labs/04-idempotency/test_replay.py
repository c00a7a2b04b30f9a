"""Part 'replay': the first response is stored and every retry gets it back, marked as a replay."""

import time

from conftest import BODY, Payments, app_env, describe, is_problem, new_key, require_working_payments

DECLINED = {**BODY, "card": "tok_declined"}


def test_a_payment_is_201_and_charges_once(payments, provider):
    response = payments.pay(new_key())
    assert response.status_code == 201, f"a valid payment should be 201, got {describe(response)}"
    body = response.json()
    charges = provider.charges()
    assert len(charges) == 1, f"the provider should have made one charge, it made {len(charges)}"
    expected = {"order_id": "order-1001", "amount_cents": 2599, "currency": "EUR", "status": "succeeded",
                "provider_charge_id": charges[0]["id"]}
    assert {k: body.get(k) for k in expected} == expected, f"unexpected body {body}"
    assert isinstance(body.get("id"), str) and body["id"], "the payment needs an id"
    assert response.headers.get("Idempotent-Replayed") != "true", "a first response is not a replay"


def test_a_retry_gets_the_stored_response_exactly(payments, provider):
    key = new_key()
    first = payments.pay(key)
    assert first.status_code == 201, describe(first)
    for attempt in range(3):
        retry = payments.pay(key)
        assert retry.status_code == 201, f"retry {attempt + 1} answered {describe(retry)}, expected the stored 201"
        assert retry.content == first.content, f"a retry must get the stored body byte for byte:\n{first.text}\n{retry.text}"
        assert retry.headers.get("Idempotent-Replayed") == "true", "mark a replayed response with Idempotent-Replayed: true"
    assert len(provider.charges()) == 1, "retries with the same key charged the card again"


def test_different_keys_make_different_payments(payments, provider):
    first, second = payments.pay(new_key()), payments.pay(new_key())
    assert first.status_code == second.status_code == 201, f"{describe(first)} / {describe(second)}"
    assert first.json()["id"] != second.json()["id"], "two keys are two payments, even for the same body"
    assert len(provider.charges()) == 2, "two different keys should charge twice: the key decides, not the body"


def test_a_declined_card_is_stored_and_replayed(payments, provider):
    key = new_key()
    first = payments.pay(key, DECLINED)
    assert is_problem(first, 402), f"a declined card should be a 402 problem+json, got {describe(first)}"
    retry = payments.pay(key, DECLINED)
    assert retry.status_code == 402 and retry.content == first.content, f"the stored 402 should be replayed, got {describe(retry)}"
    assert retry.headers.get("Idempotent-Replayed") == "true", "mark a replayed error with Idempotent-Replayed: true too"
    calls = len(provider.requests())
    assert calls == 1, f"the provider was asked {calls} times: a final error is stored and replayed, not retried"


def test_the_replay_survives_a_restart(payments, sandbox, start_app, provider):
    require_working_payments(payments, provider)
    env = app_env(sandbox, provider)
    key, client = new_key(), "client-restart"
    first = Payments(start_app(env=env), client).pay(key)
    assert first.status_code == 201, describe(first)
    retry = Payments(start_app(env=env), client).pay(key)  # a new process, the same database
    assert retry.status_code == 201 and retry.content == first.content, (
        f"after a restart the retry should be replayed from the database, got {describe(retry)}: keep keys in the database, not in memory")
    assert len(provider.charges()) == 1


def test_keys_expire_after_the_retention(payments, sandbox, start_app, provider):
    require_working_payments(payments, provider)
    ttl = 3
    api = Payments(start_app(env=app_env(sandbox, provider, IDEMPOTENCY_TTL_SECONDS=ttl)), "client-ttl")
    key = new_key()
    started = time.monotonic()
    first = api.pay(key)
    answered = time.monotonic()  # the key was stored before this moment
    assert first.status_code == 201, describe(first)
    retry = api.pay(key)
    if time.monotonic() - started < ttl - 0.5:  # surely within the retention (unless the machine crawls)
        assert retry.headers.get("Idempotent-Replayed") == "true", "within the retention a retry is a replay"
    time.sleep(max(0.0, answered + ttl + 0.5 - time.monotonic()))
    later = api.pay(key)
    assert later.status_code == 201 and later.headers.get("Idempotent-Replayed") != "true", (
        f"with IDEMPOTENCY_TTL_SECONDS={ttl}, the key should be forgotten {ttl + 0.5} s later and the request "
        f"processed anew, got {describe(later)}")
    assert later.json()["id"] != first.json()["id"]
    assert len(provider.charges()) == 2
