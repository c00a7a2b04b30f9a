"""Part 'recovery': when the provider's answer is lost - or our server dies - a retry charges exactly once."""

import time

from grader._sandbox.learner import LearnerCrash

from conftest import Payments, app_env, describe, is_problem, new_key, require_working_payments


def retry_until_done(api: Payments, key: str, timeout_s: float = 8):
    """Retry like a good client: while the answer is 409 or 5xx, wait and try again."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = api.pay(key)
        if response.status_code not in (409, 500, 502, 503, 504) or time.monotonic() > deadline:
            return response
        time.sleep(0.3)


def test_a_provider_error_is_a_502_and_not_stored(payments, provider):
    provider.faults(fail_next=1)
    key = new_key()
    failed = payments.pay(key)
    assert is_problem(failed, 502), f"when the provider answers 503, POST /payments should answer a 502 problem+json, got {describe(failed)}"
    retry = payments.pay(key)
    assert retry.status_code == 201, (
        f"the retry after a provider failure should be processed (201), got {describe(retry)}: "
        "a failure whose outcome is unknown is not a final answer - don't store it")
    assert len(provider.charges()) == 1


def test_a_dropped_provider_response_is_retried_with_the_same_charge(payments, provider):
    provider.faults(drop_next=1)
    key = new_key()
    lost = payments.pay(key)
    assert lost.status_code == 502, f"the provider charged and dropped the connection: answer 502, got {describe(lost)}"
    assert len(provider.charges()) == 1, "the provider did charge before dropping its answer"
    retry = retry_until_done(payments, key)
    assert retry.status_code == 201, f"the retry should complete the payment, got {describe(retry)}"
    charges = provider.charges()
    assert len(charges) == 1, (
        f"the retry charged again ({len(charges)} charges): send the provider a key derived from the request "
        "and stored with it, so the provider recognises the retry")
    assert retry.json().get("provider_charge_id") == charges[0]["id"]


def test_a_provider_timeout_is_retried_with_the_same_charge(payments, sandbox, start_app, provider):
    require_working_payments(payments, provider)
    api = Payments(start_app(env=app_env(sandbox, provider, PROVIDER_TIMEOUT_SECONDS=0.5)), "client-timeout")
    provider.faults(delay_s=1.0)
    key = new_key()
    slow = api.pay(key)
    assert slow.status_code == 502, f"a provider slower than PROVIDER_TIMEOUT_SECONDS should give 502, got {describe(slow)}"
    provider.faults()
    deadline = time.monotonic() + 5
    while not provider.charges() and time.monotonic() < deadline:  # the slow charge goes through after all
        time.sleep(0.05)
    assert len(provider.charges()) == 1, "the provider should have charged once, after your timeout"
    retry = retry_until_done(api, key)
    assert retry.status_code == 201, f"the retry should complete the payment, got {describe(retry)}"
    charges = provider.charges()
    assert len(charges) == 1, f"the provider charged {len(charges)} times for one payment: reuse the downstream key"
    assert retry.json().get("provider_charge_id") == charges[0]["id"]


def test_a_crash_after_the_charge_is_recovered_with_one_charge(payments, sandbox, start_app, provider):
    require_working_payments(payments, provider)
    env = app_env(sandbox, provider, IDEMPOTENCY_LOCK_SECONDS=1)
    key, client = new_key(), "client-crash"
    doomed = Payments(start_app(env={**env, "CRASH_AFTER_PROVIDER_CHARGE": "1"}), client)
    try:
        response = doomed.pay(key)
    except LearnerCrash:
        pass
    else:
        raise AssertionError(f"with CRASH_AFTER_PROVIDER_CHARGE=1 the server should die right after the provider "
                             f"charged (call crash_point('after_provider_charge')), but it answered {describe(response)}")
    assert len(provider.charges()) == 1, "the provider should have charged once before the crash"
    restarted = Payments(start_app(env=env), client)  # the same database, a new process
    retry = retry_until_done(restarted, key)
    assert retry.status_code == 201, f"after the restart, the retry should complete the payment, got {describe(retry)}"
    charges = provider.charges()
    assert len(charges) == 1, (
        f"{len(charges)} charges for one payment: the key row survived the crash, so should the downstream key "
        "it carries - reuse it when a retry takes over an abandoned request")
    assert retry.json().get("provider_charge_id") == charges[0]["id"]
