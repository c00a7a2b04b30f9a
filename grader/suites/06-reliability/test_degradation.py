"""Degradation: a checkout always answers - with the live rate when it can be had, with a fallback
rate that says it is one when not, fast while the breaker is open - and recovers by itself."""

from __future__ import annotations

import time

from _checkout import BREAKER, fresh_postcode

from grader.testing import fail


def test_a_checkout_charges_the_live_rate_and_is_stored(plain):
    postcode = fresh_postcode()
    answer = plain.checkout(postcode)
    plain.expect_order(answer, postcode, "live")
    order = answer.json()
    stored = plain.request("GET", f"/orders/{order['order_id']}")
    if stored.status != 200 or stored.json() != order:
        fail(
            f"GET /orders/{order['order_id']} should answer 200 with the order POST /checkout answered ({order}), got {stored.describe()}"
        )


def test_a_failing_service_gets_a_fallback_not_an_error(plain):
    charged_live = plain.require_checkout()
    plain.shipping.fail(503)
    postcode = fresh_postcode()
    plain.expect_order(
        plain.checkout(postcode, within_s=2 * 1.5 + 2),
        postcode,
        "fallback",
        'a shipping service that fails must not fail the checkout: charge the fallback rate and say so ("shipping_source": "fallback")',
    )
    plain.expect_order(
        plain.checkout(charged_live, within_s=2 * 1.5 + 2),
        charged_live,
        "fallback",
        f"{charged_live} was charged the live rate a moment ago, but R10's fallback is FALLBACK_SHIPPING_CENTS "
        "whatever was charged before (a remembered rate may be out of date: the fallback is the rate the shop chose)",
    )


def test_an_open_breaker_answers_fast_with_the_fallback(fresh):
    settings = {**BREAKER, "BREAKER_COOLDOWN_SECONDS": "60", "SHIPPING_TIMEOUT_SECONDS": "3"}
    settings["SHIPPING_DEADLINE_SECONDS"] = "4"
    checkout = fresh(settings)
    checkout.require_checkout()
    checkout.shipping.fail(503)
    for _ in range(3):
        checkout.checkout(fresh_postcode())
    checkout.shipping.hang()  # a call now would wait SHIPPING_TIMEOUT_SECONDS=3
    postcodes = [fresh_postcode() for _ in range(5)]
    for postcode in postcodes:
        answer = checkout.checkout(postcode, within_s=1.5)
        checkout.expect_order(answer, postcode, "fallback", "the breaker is open")
    if calls := sum(checkout.calls(postcode) for postcode in postcodes):
        fail(
            f"with the breaker open (3 failures in a row, BREAKER_COOLDOWN_SECONDS=60) the shipping service got {calls} calls"
        )


def test_the_checkout_recovers_after_the_service_does(fresh):
    checkout = fresh({**BREAKER, "BREAKER_COOLDOWN_SECONDS": "1"})
    checkout.require_checkout()
    checkout.shipping.fail(503)
    for _ in range(5):
        postcode = fresh_postcode()
        checkout.expect_order(checkout.checkout(postcode), postcode, "fallback", "the shipping service answers 503")
    checkout.shipping.recover()
    deadline, sources = time.monotonic() + 3 * 1 + 5, []
    while time.monotonic() < deadline:
        answer = checkout.checkout(fresh_postcode())
        body = answer.json()
        sources.append(body.get("shipping_source") if isinstance(body, dict) else answer.status)
        if sources[-1] == "live":
            break
        time.sleep(0.1)
    else:
        fail(
            f"the shipping service recovered, but 8 s later (BREAKER_COOLDOWN_SECONDS=1) checkouts still got "
            f"{sources[-3:]}: after the cool-down a probe should find it healthy and close the breaker"
        )
    for _ in range(5):
        postcode = fresh_postcode()
        checkout.expect_order(checkout.checkout(postcode), postcode, "live", "the service has recovered")
