"""Retries: what may succeed next time is retried, what can't is not; retries stop after
SHIPPING_RETRIES, stay within the retry budget, and wait a capped, jittered backoff between them."""

from __future__ import annotations

import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from statistics import mean, median

import httpx
from _checkout import LINES, PLAIN, Answer, fresh_postcode

from grader.testing import fail


def test_a_transient_error_is_retried(plain):
    plain.require_checkout()
    plain.shipping.fail(503, times=1)
    postcode = fresh_postcode()
    answer = plain.checkout(postcode)
    plain.expect_order(answer, postcode, "live", "one 503 and then a success: the retry should get the live rate")
    if (calls := plain.calls(postcode)) != 2:
        fail(f"one 503 then a success should make exactly 2 calls to the shipping service, it got {calls}")


def test_a_timed_out_attempt_is_retried(plain):
    plain.require_checkout()
    plain.shipping.hang(times=1)
    postcode = fresh_postcode()
    answer = plain.checkout(postcode, within_s=2 * 1.5 + 2)
    plain.expect_order(answer, postcode, "live", "the first call hung: after its timeout, a retry gets the live rate")
    if (calls := plain.calls(postcode)) != 2:
        fail(f"a call that timed out then a success should make exactly 2 calls, the shipping service got {calls}")


def test_a_client_error_is_not_retried(plain):
    plain.require_checkout()
    postcode = fresh_postcode("ZZ")  # the shipping service answers 422: it doesn't serve this postcode
    answer = plain.checkout(postcode)
    body = answer.json()
    if (
        answer.status != 422
        or not (answer.headers.get("content-type") or "").startswith("application/problem+json")
        or not isinstance(body, dict)
        or body.get("status") != 422
    ):
        fail(
            "when the shipping service answers 422 (a postcode it doesn't serve), POST /checkout should answer "
            f"422 application/problem+json, not a fallback: got {answer.describe()}"
        )
    if (calls := plain.calls(postcode)) != 1:
        fail(f"a 4xx answer is final, yet the shipping service got {calls} calls for one checkout (expected 1)")


def test_attempts_stop_after_the_retries(plain):
    plain.require_checkout()
    plain.shipping.fail(503)
    postcodes = [fresh_postcode() for _ in range(3)]
    for postcode in postcodes:
        plain.expect_order(plain.checkout(postcode), postcode, "fallback", "every call failed")
    got = [plain.calls(postcode) for postcode in postcodes]
    if got != [3, 3, 3]:
        fail(
            f"with every call failing and SHIPPING_RETRIES=2, each checkout should make 3 calls (1 + 2 retries); "
            f"three checkouts made {got}"
        )


BUDGET = {
    **PLAIN,
    "SHIPPING_RETRIES": "3",
    "SHIPPING_DEADLINE_SECONDS": "5",
    "RETRY_BACKOFF_BASE_SECONDS": "0.001",
    "RETRY_BACKOFF_MAX_SECONDS": "0.002",
    "RETRY_BUDGET_RATIO": "0.1",
    "RETRY_BUDGET_MIN": "3",
}


def test_retries_stay_within_the_budget(fresh):
    checkout = fresh(BUDGET)
    checkout.require_checkout()
    checkout.shipping.fail(503)
    postcodes = [fresh_postcode() for _ in range(30)]
    for postcode in postcodes:
        checkout.expect_order(checkout.checkout(postcode), postcode, "fallback", "every call failed")
    calls = sum(checkout.calls(postcode) for postcode in postcodes)
    lookups = len(postcodes) + 1  # and the first, healthy one
    allowed = len(postcodes) + 3 + 0.1 * lookups + 1  # one retry more, for where a budget counts from
    if calls > allowed:
        fail(
            f"{len(postcodes)} checkouts against a service failing every call made {calls} calls; with "
            "RETRY_BUDGET_MIN=3 and RETRY_BUDGET_RATIO=0.1 the retries may add at most 3 + 10% of the lookups "
            f"(at most {int(allowed)} calls): without a budget, retries multiply the load on a service that is down"
        )
    if calls <= len(postcodes):
        fail(
            f"{len(postcodes)} checkouts made only {calls} calls: not one retry: RETRY_BUDGET_MIN=3 allows some even when all fail"
        )


BACKOFF = {
    **PLAIN,
    "SHIPPING_RETRIES": "3",
    "SHIPPING_DEADLINE_SECONDS": "10",
    "RETRY_BACKOFF_BASE_SECONDS": "0.2",
    "RETRY_BACKOFF_MAX_SECONDS": "0.3",
}
SLACK_S = 0.75  # a failed call's round trip on a loaded machine, and scheduling
CAPPED = {**BACKOFF, "RETRY_BACKOFF_BASE_SECONDS": "5", "RETRY_BACKOFF_MAX_SECONDS": "0.05"}  # the cap decides
# The range of the first wait, seen without timing it: it is at most RETRY_BACKOFF_BASE_SECONDS=2,
# and the deadline leaves 2.75 s, so a checkout whose first call failed fast (answered in under
# 0.75 s, counted from before it was sent) always has room for its retry (R3: a wait is skipped only
# when it would pass the deadline). A wait drawn from [0, 4] (2 ** n instead of 2 ** (n - 1)) does
# not fit about a third of the time: that checkout falls back after one call, and fast. Load only
# makes checkouts slower, which makes fewer of them count: it can never fail a right answer. Sent
# 0.05 s apart, on one client made beforehand, most are answered well within 0.05 s.
FIRST_WAIT_BASE_S, FIRST_WAIT_DEADLINE_S = 2, 2.75
FIRST_WAIT = {
    **PLAIN,
    "SHIPPING_RETRIES": "1",
    "SHIPPING_DEADLINE_SECONDS": str(FIRST_WAIT_DEADLINE_S),
    "RETRY_BACKOFF_BASE_SECONDS": str(FIRST_WAIT_BASE_S),
    "RETRY_BACKOFF_MAX_SECONDS": "100",
}
ROOM_S = FIRST_WAIT_DEADLINE_S - FIRST_WAIT_BASE_S  # the deadline minus the longest first wait


def _timed_checkout(client: httpx.Client, postcode: str) -> Answer:
    sent = time.monotonic()
    try:
        response = client.post("/checkout", json={"postcode": postcode, "items": LINES})
    except httpx.HTTPError as exc:
        fail(
            f"POST /checkout failed: {exc!r} (SHIPPING_DEADLINE_SECONDS={FIRST_WAIT_DEADLINE_S:g}; "
            f"it had {client.timeout.read:g} s)"
        )
    return Answer(response.status_code, response.headers, response.text, time.monotonic() - sent)


def test_backoff_waits_within_its_bounds(shared):
    checkout, capped, first = shared(BACKOFF), shared(CAPPED), shared(FIRST_WAIT)  # all while the service is healthy
    checkout.require_checkout()
    checkout.shipping.fail(503)
    postcodes = [fresh_postcode() for _ in range(8)]
    for group in (postcodes[:4], postcodes[4:]):
        for postcode, answer in zip(group, checkout.at_once(group, within_s=10 + 5), strict=True):
            checkout.expect_order(answer, postcode, "fallback", "every call failed")
    gaps: dict[int, list[float]] = defaultdict(list)  # retry number -> waits before it
    for postcode in postcodes:
        arrivals = [call.at for call in checkout.shipping.calls(postcode)]
        if len(arrivals) != 4:
            fail(
                f"with every call failing and SHIPPING_RETRIES=3, a checkout should make 4 calls; one made {len(arrivals)}"
            )
        for retry, (before, after) in enumerate(pairwise(arrivals), start=1):
            gaps[retry].append(after - before)
    for retry, waits in gaps.items():
        cap = min(0.3, 0.2 * 2 ** (retry - 1))
        if median(waits) > cap + SLACK_S:  # the median: a loaded machine stalls a few of them
            fail(
                f"before retry {retry} the backoff may wait at most min(RETRY_BACKOFF_MAX_SECONDS, base * 2 ** "
                f"{retry - 1}) = {cap:g} s; checkouts waited {median(waits):.2f} s (the median of 8)"
            )
    # The cap: with a base a hundred times above it, every wait is at most RETRY_BACKOFF_MAX_SECONDS.
    group = [fresh_postcode() for _ in range(4)]
    for postcode, answer in zip(group, capped.at_once(group, within_s=10 + 5), strict=True):
        capped.expect_order(answer, postcode, "fallback", "every call failed")
    capped_waits = [after - before for p in group for before, after in pairwise(c.at for c in capped.shipping.calls(p))]
    if len(capped_waits) < 3 * len(group) or median(capped_waits) > 0.05 + SLACK_S:
        fail(
            "with RETRY_BACKOFF_BASE_SECONDS=5 and RETRY_BACKOFF_MAX_SECONDS=0.05 every wait is at most 0.05 s: "
            f"min(max, base * 2 ** (n - 1)); {len(group)} checkouts made {len(capped_waits)} retries (3 each expected) "
            f"and waited {median(capped_waits) if capped_waits else 0:.2f} s before them (the median): cap the backoff"
        )
    every = [wait for waits in gaps.values() for wait in waits]
    expected = mean(min(0.3, 0.2 * 2 ** (retry - 1)) / 2 for retry in gaps)  # full jitter: half the cap on average
    if mean(every) < expected / 4:
        fail(
            f"retries came on average {mean(every) * 1000:.0f} ms apart; full-jitter backoff with "
            f"RETRY_BACKOFF_BASE_SECONDS=0.2 waits about {expected * 1000:.0f} ms on average: retries without a "
            "wait hammer a service that is struggling"
        )

    # The range of the first wait (see FIRST_WAIT): no wait of [0, base] can push a retry past the deadline.
    postcodes, pending = [fresh_postcode() for _ in range(48)], []
    timeout_s = FIRST_WAIT_DEADLINE_S + 15
    with httpx.Client(base_url=first.app.url, timeout=timeout_s) as client, ThreadPoolExecutor(len(postcodes)) as pool:
        for postcode in postcodes:  # one every 0.05 s, not all at once: each is answered as fast as it can be
            pending.append(pool.submit(_timed_checkout, client, postcode))
            time.sleep(0.05)
        answers = [future.result() for future in pending]
    skipped = []  # how fast the checkouts that fell back after one call were answered
    for postcode, answer in zip(postcodes, answers, strict=True):
        first.expect_order(answer, postcode, "fallback", "every call failed")
        if first.calls(postcode) == 1:
            skipped.append(answer.took_s)
    base, deadline = FIRST_WAIT_BASE_S, FIRST_WAIT_DEADLINE_S
    if fast := [took for took in skipped if took < ROOM_S]:
        fail(
            f"with RETRY_BACKOFF_BASE_SECONDS={base:g} the wait before retry 1 is at most min(max, {base:g} * 2 ** 0) "
            f"= {base:g} s, and SHIPPING_DEADLINE_SECONDS={deadline:g} leaves room for it; yet {len(fast)} of "
            f"{len(postcodes)} checkouts gave up after one failed call, answered within {max(fast):.2f} s (so more "
            f"than {deadline - max(fast):.2f} s of the deadline was left): their wait was drawn above {base:g} s - "
            "retry n waits at most base * 2 ** (n - 1), n from 1"
        )
    # And the first wait is drawn from the whole of [0, base]: base / 2 on average over 48 checkouts.
    # A first retry sent at once (the backoff starting at retry 2) waits only a round trip.
    first_waits = [calls[1].at - calls[0].at for p in postcodes if len(calls := first.shipping.calls(p)) == 2]
    if first_waits and mean(first_waits) < base / 4:  # half the average expected
        fail(
            f"with RETRY_BACKOFF_BASE_SECONDS={base:g} the wait before retry 1 is drawn from [0, {base:g} * 2 ** 0] = "
            f"[0, {base:g}] s, {base / 2:g} s on average; {len(first_waits)} checkouts waited "
            f"{mean(first_waits):.2f} s on average before their first retry: retry 1 waits too - retry n waits up "
            "to base * 2 ** (n - 1), n from 1"
        )
