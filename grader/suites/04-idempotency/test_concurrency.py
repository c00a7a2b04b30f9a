"""Part 'concurrency': one request at a time works on a key, on SQLite and on PostgreSQL (R14-R16).

The provider holds every charge until the test lets go, so the first request is still in flight
when its twins arrive; on PostgreSQL the suite also holds every write back until all the twins
wait to write (conftest.writes_held), so code that reads, decides and then writes lets every twin
read first - in every run, however the machine schedules the requests.
"""

from contextlib import nullcontext

from conftest import (
    answers,
    at_once,
    charged,
    describe,
    is_problem,
    new_key,
    same_json,
    status_of,
    wait_until,
    writes_held,
)

TWINS = 12


def test_a_retry_while_the_first_is_in_flight_is_a_409_problem(payments, provider):
    older = new_key()  # stored before the first request's key, so its row comes first (a smaller id)
    provider.faults(fail_next=1)
    failed = payments.pay(older)
    assert failed.status_code == 502, (
        f"this test needs R8 first: the provider answered 503, so POST /payments should be a 502, got "
        f"{describe(failed)}"
    )
    key = new_key()
    with provider.holding():
        [first] = at_once([lambda: payments.pay(key)])
        reached = wait_until(lambda: provider.in_flight() == 1 or first.done(), timeout_s=5)
        assert reached and not first.done(), (
            f"the first request should be waiting for the provider, got {status_of(answers([first])[0])}"
        )
        # Meanwhile two other payments fail and release their own keys: a new key (stored after the
        # first's) and a retry of the older one - releasing either must leave the first's key locked.
        provider.faults(hold=True, fail_next=1)
        failed = payments.pay(new_key())
        assert failed.status_code == 502, (
            f"this test needs R8 first: the provider answered 503, so POST /payments should be a 502, got "
            f"{describe(failed)}"
        )
        provider.faults(hold=True, fail_next=1)
        payments.pay(older)  # its answer is R8's business (test_recovery.py): here only its release matters
        twin = payments.pay(key)
    [first_answer] = answers([first])
    assert is_problem(twin, 409), (
        f"a request with the key of one still in progress: expected a 409 problem+json, got {describe(twin)}; "
        "two other payments released their keys meanwhile: a release must unlock only its own key row (by its id)"
    )
    assert status_of(first_answer) == 201, f"the first request should still succeed, got {status_of(first_answer)}"
    retry = payments.pay(key)
    assert retry.status_code == 201 and same_json(retry, first_answer), (
        f"after the first finished, a retry is a replay of it (a 409 stores nothing), got {describe(retry)}"
    )
    charges = provider.charges()
    assert len(charges) == 1, (
        f"a payment, a twin while it was in flight (409) and a retry after it: expected 1 charge, got "
        f"{charged(charges)} (R14)"
    )


def twins_at_once(api, key: str, provider, count: int = TWINS) -> list:
    """``count`` identical requests at once while the provider holds its charges; the answers once
    all but one have answered (or 3 s passed) and the provider let go.

    On PostgreSQL the writes wait until every twin waits for a lock or has answered (or 10 s
    passed): all have read by then, so none reads what another wrote."""
    with provider.holding():
        with writes_held(api.postgres()) if api.postgres else nullcontext() as waiting:
            futures = at_once([lambda: api.pay(key)] * count)
            if waiting:
                wait_until(lambda: waiting() + sum(f.done() for f in futures) >= count, timeout_s=10)
        wait_until(lambda: sum(f.done() for f in futures) >= count - 1, timeout_s=3)
    return answers(futures)


def test_identical_requests_at_once_charge_once(engine_payments, provider):
    key = new_key()
    responses = twins_at_once(engine_payments, key, provider)
    statuses = sorted((status_of(r) for r in responses), key=str)
    reached = len(provider.requests())
    assert reached == 1, (
        f"{TWINS} identical first requests at once: exactly one should reach the provider, {reached} did "
        f"(answers {statuses}) - let a unique constraint on (client, key) decide which request owns the key"
    )
    assert statuses == [201] + [409] * (TWINS - 1), f"expected one 201 and {TWINS - 1} 409s, got {statuses}"
    charges = provider.charges()
    assert len(charges) == 1, f"{TWINS} identical requests at once: expected 1 charge, got {charged(charges)} (R15)"


def test_retries_at_once_take_over_the_key_once(engine_payments, provider):
    key = new_key()
    provider.faults(fail_next=1)
    failed = engine_payments.pay(key)
    assert failed.status_code == 502, f"this test needs R8 first: a provider 503 is a 502, got {describe(failed)}"
    provider.reset()
    responses = twins_at_once(engine_payments, key, provider, count=6)
    statuses = sorted((status_of(r) for r in responses), key=str)
    reached = len(provider.requests())
    assert reached == 1, (
        f"6 retries at once of a key whose last attempt ended in a 502: exactly one should take the key over and "
        f"reach the provider, {reached} did (answers {statuses}) - take a free key with a conditional UPDATE "
        "(WHERE it is still free) and check that it changed a row"
    )
    assert statuses == [201] + [409] * 5, f"expected one 201 and five 409s, got {statuses}"


def test_payments_with_different_keys_do_not_wait_for_each_other(engine_payments, provider):
    count = 5
    with provider.holding():  # keys of the longest length allowed (255): PostgreSQL checks column lengths
        futures = at_once([lambda: engine_payments.pay(new_key() + "k" * 219)] * count)
        together = wait_until(lambda: provider.in_flight() >= count or any(f.done() for f in futures), timeout_s=5)
        together = provider.in_flight() >= count
        most = provider.most_in_flight()
    statuses = [status_of(r) for r in answers(futures)]
    assert together, (
        f"{count} payments with different keys at once: all should reach the provider together, at most {most} did "
        "- is a transaction (a lock) held while the provider is called?"
    )
    assert statuses == [201] * count, f"{count} payments with different keys: expected all 201, got {statuses}"
