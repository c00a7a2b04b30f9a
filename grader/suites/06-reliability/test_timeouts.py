"""Timeouts: a slow, hanging or stalling shipping service never holds a checkout longer than the
deadline; the checkout answers with the fallback rate instead."""

import time

from _checkout import PLAIN, fresh_postcode

from grader.testing import fail

DEADLINE_S = float(PLAIN["SHIPPING_DEADLINE_SECONDS"])
BOUND_S = 2 * DEADLINE_S + 2  # generous: a loaded machine answers late, never this late


def test_a_slow_but_timely_service_answers_live(plain):
    plain.require_checkout()
    plain.shipping.slow(0.1)  # well inside SHIPPING_TIMEOUT_SECONDS (0.5)
    postcode = fresh_postcode()
    answer = plain.checkout(postcode)
    plain.expect_order(answer, postcode, "live", "a call that answers within SHIPPING_TIMEOUT_SECONDS is a success")


def test_a_hanging_service_gets_the_fallback_within_the_deadline(plain):
    plain.require_checkout()
    plain.shipping.hang()
    postcode = fresh_postcode()
    answer = plain.checkout(postcode, within_s=BOUND_S)
    plain.expect_order(answer, postcode, "fallback", "a service that never answers must not hold the checkout")


def test_a_stalled_answer_times_out(plain):
    plain.require_checkout()
    plain.shipping.stall_body()  # headers and half a body, then nothing: only a read timeout ends it
    postcode = fresh_postcode()
    answer = plain.checkout(postcode, within_s=BOUND_S)
    plain.expect_order(answer, postcode, "fallback", "a timeout on connecting alone never ends a stalled read")


DEADLINE = {  # the second attempt has 0.1 s left: its timeout must shrink to that, not stay 1.5 s
    **PLAIN,
    "SHIPPING_TIMEOUT_SECONDS": "1.5",
    "SHIPPING_DEADLINE_SECONDS": "1.6",
    "SHIPPING_RETRIES": "3",
    "RETRY_BACKOFF_BASE_SECONDS": "0.01",
    "RETRY_BACKOFF_MAX_SECONDS": "0.02",
}


def test_the_deadline_bounds_every_attempt_together(shared):
    checkout = shared(DEADLINE)
    checkout.require_checkout()
    checkout.shipping.hang()
    postcodes = [fresh_postcode() for _ in range(3)]
    answers = checkout.at_once(postcodes, within_s=2 * 1.6 + 2)
    for postcode, answer in zip(postcodes, answers, strict=True):
        checkout.expect_order(answer, postcode, "fallback")
        calls = checkout.calls(postcode)
        if calls > 2:
            fail(
                f"with the shipping service hanging, one checkout made {calls} calls to it: with "
                "SHIPPING_TIMEOUT_SECONDS=1.5 and SHIPPING_DEADLINE_SECONDS=1.6 at most 2 fit in the deadline "
                "(each attempt gets min(timeout, what is left of the deadline); no attempt starts after it)"
            )
    # The last attempt gets what is left (about 0.1 s), not a whole timeout. Timed as a ratio of
    # the first attempt's 1.5 s, so that a loaded machine, late for both, cannot tip it.
    postcode = fresh_postcode()
    answer = checkout.checkout(postcode, within_s=2 * 1.6 + 2)
    ended = time.monotonic()
    checkout.expect_order(answer, postcode, "fallback")
    arrivals = [call.at for call in checkout.shipping.calls(postcode)]
    if len(arrivals) >= 2:
        first_s, last_s = arrivals[-1] - arrivals[-2], ended - arrivals[-1]
        if last_s > 0.6 * first_s:
            fail(
                f"with the shipping service hanging, the last attempt lasted {last_s:.2f} s after one of "
                f"{first_s:.2f} s: with SHIPPING_TIMEOUT_SECONDS=1.5 and SHIPPING_DEADLINE_SECONDS=1.6 it had about "
                "0.1 s left - give each attempt min(SHIPPING_TIMEOUT_SECONDS, what is left of the deadline)"
            )
