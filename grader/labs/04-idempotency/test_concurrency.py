"""Part 'concurrency': while a request works on a key, its twins get 409 - and the card is charged once."""

import threading

from conftest import describe, in_parallel, is_problem, new_key


def test_a_retry_while_the_first_is_in_flight_is_a_409_problem(payments, provider):
    provider.faults(delay_s=2.0)
    key = new_key()
    first: list = []
    worker = threading.Thread(target=lambda: first.append(payments.pay(key)))
    worker.start()
    try:
        assert provider.wait_for_requests(1, until=lambda: bool(first)), (
            f"the first request never reached the provider: {first and describe(first[0])}")
        twin = payments.pay(key)
    finally:
        worker.join(10)
    assert is_problem(twin, 409), (
        f"a request with the key of one still in progress should be a 409 problem+json, got {describe(twin)}")
    assert first and first[0].status_code == 201, f"the first request should still succeed: {first and describe(first[0])}"
    provider.faults()
    retry = payments.pay(key)
    assert retry.status_code == 201 and retry.content == first[0].content, f"after it finished, a retry is a replay: {describe(retry)}"
    assert len(provider.charges()) == 1


def test_thirty_concurrent_identical_requests_charge_once(payments, provider):
    provider.faults(delay_s=0.5)
    key = new_key()
    responses = in_parallel([lambda: payments.pay(key)] * 30)
    errors = [r for r in responses if not hasattr(r, "status_code")]
    assert not errors, f"some requests failed: {errors[:3]}"
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, f"30 identical requests at once should get 201 or 409, got {statuses}"
    created = [r for r in responses if r.status_code == 201]
    assert created and len({r.content for r in created}) == 1, "every 201 should carry the same payment"
    charges = provider.charges()
    assert len(charges) == 1, (
        f"30 identical concurrent requests made {len(charges)} charges: claim the key with an INSERT that a "
        "unique constraint makes atomic, before calling the provider")


def test_concurrent_payments_with_different_keys_all_succeed(payments, provider):
    provider.faults(delay_s=0.3)
    responses = in_parallel([lambda: payments.pay(new_key())] * 10)
    statuses = [getattr(r, "status_code", r) for r in responses]
    assert statuses == [201] * 10, f"10 payments with different keys at once should all be 201, got {statuses}"
    assert len(provider.charges()) == 10
