"""The circuit breaker: BREAKER_FAILURES failed calls in a row open it, for the whole process;
while open the shipping service gets no calls; after the cool-down one probe goes out, and its
outcome closes or reopens the breaker. 4xx answers are not failures."""

from __future__ import annotations

import time

from _checkout import BREAKER, fresh_postcode, in_background

from grader.testing import fail

LONG = {**BREAKER, "BREAKER_COOLDOWN_SECONDS": "60"}  # nothing cools down while a test runs
# A threshold above 256: CPython keeps one object per int only from -5 to 256, so a count compared
# with `is` reaches 3 but never 300. Two retries a checkout: 100 checkouts make the 300 calls.
MANY = {**LONG, "BREAKER_FAILURES": "300", "SHIPPING_RETRIES": "2"}


def open_breaker(checkout) -> None:
    """Three failed calls (one checkout each, no retries): the breaker is now open."""
    checkout.shipping.fail(503)
    for _ in range(3):
        postcode = fresh_postcode()
        checkout.expect_order(checkout.checkout(postcode), postcode, "fallback", "the shipping service answers 503")


def test_the_breaker_opens_after_the_failures_in_a_row(fresh):
    checkout = fresh(LONG)
    checkout.require_checkout()
    checkout.shipping.fail(503)
    postcodes = [fresh_postcode() for _ in range(8)]
    for postcode in postcodes:
        checkout.expect_order(checkout.checkout(postcode), postcode, "fallback", "the shipping service answers 503")
    calls = [checkout.calls(postcode) for postcode in postcodes]
    if calls != [1, 1, 1, 0, 0, 0, 0, 0]:
        fail(
            "with BREAKER_FAILURES=3 (and SHIPPING_RETRIES=0), 8 checkouts against a failing service should call it "
            f"3 times, then not at all while the breaker is open: calls per checkout were {calls} (one breaker "
            "per process, shared by every request, not one per request)"
        )
    checkout.shipping.recover()
    many = fresh(MANY)
    many.require_checkout()
    many.shipping.fail(503)
    failed = 0  # calls, all failed: in a row, since the success of require_checkout()
    while failed < 300:
        group = [fresh_postcode() for _ in range(10)]
        for postcode, answer in zip(group, many.at_once(group, within_s=3 + 10), strict=True):
            many.expect_order(answer, postcode, "fallback", "the shipping service answers 503")
        if not (made := sum(many.calls(postcode) for postcode in group)):
            fail(f"with BREAKER_FAILURES=300 the breaker opened after {failed} failed calls in a row: it opens at 300")
        failed += made
    later = [fresh_postcode() for _ in range(3)]
    for postcode in later:
        many.expect_order(many.checkout(postcode), postcode, "fallback", "the shipping service answers 503")
    if (calls := [many.calls(postcode) for postcode in later]) != [0, 0, 0]:
        fail(
            f"with BREAKER_FAILURES=300, {failed} failed calls in a row should have opened the breaker, yet 3 more "
            f"checkouts called the service {calls} times: at 300 failures or more it is open, whatever the setting "
            "(an int compared with `is` is the same object only up to 256 in CPython: compare with >=)"
        )


def test_a_success_resets_the_count(fresh):
    checkout = fresh(LONG)
    checkout.require_checkout()
    sequence = []
    for failing in (True, True, False, True, True, False):
        if failing:
            checkout.shipping.fail(503, times=1)
        postcode = fresh_postcode()
        checkout.expect_order(checkout.checkout(postcode), postcode, "fallback" if failing else "live")
        sequence.append(checkout.calls(postcode))
    if sequence != [1] * 6:
        fail(
            "two failures, a success, two failures and a success are never 3 failures in a row: the breaker should "
            f"stay closed and every checkout call the service once; calls per checkout were {sequence}"
        )


def test_one_probe_after_the_cooldown_and_its_success_closes_it(fresh):
    cooldown_s = 0.5
    settings = {**BREAKER, "BREAKER_COOLDOWN_SECONDS": str(cooldown_s), "SHIPPING_TIMEOUT_SECONDS": "10"}
    settings["SHIPPING_DEADLINE_SECONDS"] = "12"
    checkout = fresh(settings)
    checkout.require_checkout()
    open_breaker(checkout)
    time.sleep(cooldown_s * 1.5)  # the cool-down has passed (the breaker opened before the last fallback came)
    checkout.shipping.recover()
    checkout.shipping.hang()  # the probe waits until the test lets it go
    postcodes = [fresh_postcode() for _ in range(5)]
    pending = [in_background(lambda p=p: checkout.checkout(p, within_s=20)) for p in postcodes]
    deadline = time.monotonic() + 30  # the four fallbacks come at once; a loaded machine is slow
    while sum(f.done() for f in pending) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    answered = sum(f.done() for f in pending)

    def calls_now() -> int:
        return sum(checkout.calls(postcode) for postcode in postcodes)

    settle = time.monotonic() + 10  # the probe's call may arrive after the fallbacks were answered
    while calls_now() == 0 and time.monotonic() < settle:
        time.sleep(0.02)
    time.sleep(0.5)  # and any call beyond it would come about as late
    calls = calls_now()
    checkout.shipping.recover()
    answers = [f.result(timeout=25) for f in pending]
    if calls == 0 and answered < 4:
        fail(
            f"after the cool-down, 5 checkouts at once made no call to the shipping service and only {answered} "
            "were answered within 30 s: one (the half-open probe) should go out and the others get the fallback"
        )
    if calls != 1:
        fail(
            f"5 checkouts at once after the cool-down made {calls} calls to the shipping service: exactly one "
            "(the half-open probe) should go out, the others get the fallback"
            + (" - is there a half-open state at all?" if calls == 0 else "")
        )
    probe = next(p for p in postcodes if checkout.calls(p) == 1)
    for postcode, answer in zip(postcodes, answers, strict=True):
        checkout.expect_order(answer, postcode, "live" if postcode == probe else "fallback")
    after = [fresh_postcode() for _ in range(3)]
    for postcode in after:
        checkout.expect_order(
            checkout.checkout(postcode), postcode, "live", "the probe succeeded: the breaker is closed"
        )


def test_a_failed_probe_opens_it_again(fresh):
    cooldown_s = 1
    checkout = fresh({**BREAKER, "BREAKER_COOLDOWN_SECONDS": str(cooldown_s)})
    checkout.require_checkout()
    open_breaker(checkout)
    time.sleep(cooldown_s * 1.25)
    probe = fresh_postcode()
    checkout.expect_order(checkout.checkout(probe), probe, "fallback")
    if not checkout.shipping.calls(probe):
        fail(
            f"after BREAKER_COOLDOWN_SECONDS={cooldown_s:g} the next checkout should send one probe call; none went out"
        )
    probed_at = checkout.shipping.calls(probe)[0].at
    window_end = probed_at + 0.8 * cooldown_s  # the breaker opened again, for another cool-down
    postcodes = []
    while time.monotonic() < window_end or not postcodes:
        postcodes.append(fresh_postcode())
        checkout.expect_order(checkout.checkout(postcodes[-1]), postcodes[-1], "fallback")
    early = [c for p in postcodes for c in checkout.shipping.calls(p) if c.at < window_end]
    if early:
        fail(
            f"the probe failed, yet {len(early)} more calls went out within {0.8 * cooldown_s:g} s of it: a failed probe "
            "opens the breaker again for another BREAKER_COOLDOWN_SECONDS"
        )


def test_client_errors_do_not_open_it(fresh):
    checkout = fresh(LONG)
    checkout.require_checkout()
    refused = [fresh_postcode("ZZ") for _ in range(4)]  # the service answers 422 to these
    for postcode in refused:
        answer = checkout.checkout(postcode)
        if answer.status != 422:
            fail(
                f"a postcode the shipping service refuses (422) should get a 422 from POST /checkout, got {answer.describe()}"
            )
    postcode = fresh_postcode()
    checkout.expect_order(
        checkout.checkout(postcode),
        postcode,
        "live",
        "four 4xx answers are the client's mistakes, not the service failing: the breaker must stay closed",
    )
