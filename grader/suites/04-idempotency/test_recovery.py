"""Part 'recovery': when the provider's answer is lost - or our server dies - a retry charges
exactly once (R8, R17, R18)."""

from conftest import charged, describe, is_problem, new_key, retry_until_done, same_json, wait_until

from grader.testing import LearnerCrash, fail


def test_a_provider_error_is_a_502_and_not_stored(payments, provider):
    provider.faults(fail_next=1)
    key = new_key()
    failed = payments.pay(key)
    assert is_problem(failed, 502), (
        f"the provider answered 503: expected a 502 problem+json from POST /payments, got {describe(failed)}"
    )
    other_key = new_key()
    other = payments.pay(other_key)  # another payment, finished in between
    retry = payments.pay(key)
    assert retry.status_code == 201, (
        f"the retry after a provider failure should be processed: expected 201, got {describe(retry)} - an unknown "
        "outcome is not a final answer: don't store it, and unlock the key"
    )
    charges = provider.charges()
    assert len(charges) == 2, (
        f"a payment the provider failed (502), another payment, then the retry of the first: expected 2 charges, "
        f"got {charged(charges)} (R8)"
    )
    replayed = payments.pay(other_key)
    assert same_json(replayed, other), (
        f"the other payment, retried: expected its own stored response {other.text[:200]}, got {describe(replayed)} "
        "- finishing the retried payment changed another key's stored response: update the key row by its id only"
    )


def assert_one_charge(retry, provider) -> None:
    assert retry.status_code == 201, f"the retry should complete the payment: expected 201, got {describe(retry)}"
    charges = provider.charges()
    assert len(charges) == 1, (
        f"{len(charges)} charges for one payment: every attempt must send the provider the same downstream key, "
        "created once and stored with the key row (R17)"
    )
    assert retry.json().get("provider_charge_id") == charges[0]["id"], (
        f"the payment should carry the provider's charge {charges[0]['id']}, got {retry.json().get('provider_charge_id')}"
    )


def test_a_dropped_provider_response_is_retried_with_the_same_charge(payments, provider):
    provider.faults(drop_next=1)
    key = new_key()
    lost = payments.pay(key)
    assert lost.status_code == 502, (
        f"the provider charged, then dropped the connection: expected 502, got {describe(lost)}"
    )
    charges = provider.charges()
    assert len(charges) == 1, (
        f"the provider charged once, then dropped its answer: expected 1 charge after POST /payments, got "
        f"{charged(charges)} (R8, R17)"
    )
    assert_one_charge(retry_until_done(payments, key), provider)


def test_a_provider_timeout_is_retried_with_the_same_charge(short_payments, provider):
    key = new_key()
    with provider.holding():
        slow = short_payments.pay(key)
    assert slow.status_code == 502, (
        f"a provider slower than PROVIDER_TIMEOUT_SECONDS=1: expected 502, got {describe(slow)}"
    )
    assert wait_until(lambda: len(provider.charges()) == 1, timeout_s=5), (
        f"the provider made the slow charge once it was let go: expected 1 charge, got {charged(provider.charges())} "
        "(R8, R17)"
    )
    assert_one_charge(retry_until_done(short_payments, key), provider)


def test_the_replay_survives_a_restart(short_payments, doomed_payments, provider):
    key = new_key()
    first = retry_until_done(short_payments, key)
    assert first.status_code == 201, f"a valid payment: expected 201, got {describe(first)}"
    retry = doomed_payments.pay(key)  # another process of your app, on the same database
    assert retry.status_code == 201 and same_json(retry, first), (
        f"another process of the app (a restart) should replay the retry from the database, got {describe(retry)}: "
        "keep keys and responses in the database, not in memory"
    )
    charges = provider.charges()
    assert len(charges) == 1, (
        f"a payment and its retry on another process of the app: expected 1 charge, got {charged(charges)} (R9)"
    )


def test_a_crash_after_the_charge_is_recovered_with_one_charge(short_payments, doomed_payments, provider):
    # doomed_payments: another process of your app, on the same database, which dies right after a charge
    key = new_key()
    try:
        response = doomed_payments.pay(key)
    except LearnerCrash:
        pass
    else:
        fail(
            f"with CRASH_AFTER_PROVIDER_CHARGE=1 the server should die right after the provider charged - call "
            f"crash_point('after_provider_charge') there - but it answered {describe(response)}"
        )
    charges = provider.charges()
    assert len(charges) == 1, (
        f"with CRASH_AFTER_PROVIDER_CHARGE=1 your server should die right after one charge: expected 1 charge, got "
        f"{charged(charges)} (R18)"
    )
    # The key is still locked by the dead process: after IDEMPOTENCY_LOCK_SECONDS=1.5 a retry takes it over.
    assert_one_charge(retry_until_done(short_payments, key), provider)
