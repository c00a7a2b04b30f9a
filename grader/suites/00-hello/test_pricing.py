"""Part 'pricing': quote_total in integer cents, half up from 10 ducks (R9, R10)."""

import pytest
from _reference import reference_total

from grader.testing import LearnerError, call

QUOTE = "app.pricing:quote_total"


def test_small_orders_pay_full_price(learner):
    for price, quantity in [(499, 1), (899, 3), (2499, 9), (0, 5)]:
        got = call(learner, QUOTE, price, quantity)
        assert got == price * quantity, f"quote_total({price}, {quantity}): expected {price * quantity}, got {got!r}"


def test_discount_starts_at_ten_ducks(learner):
    nine, ten = call(learner, QUOTE, 1000, 9), call(learner, QUOTE, 1000, 10)
    assert nine == 9000, f"quote_total(1000, 9): no discount below 10 ducks, expected 9000, got {nine!r}"
    assert ten == 9000, f"quote_total(1000, 10): 10% off 10000 from 10 ducks on, expected 9000, got {ten!r}"


def test_discount_rounds_half_up(learner):
    got = call(learner, QUOTE, 899, 15)
    assert got == 12137, f"quote_total(899, 15): 13485 - 10% = 12136.5, half up: expected 12137, got {got!r}"
    halves = [(p, q) for p in range(1, 400, 3) for q in (15, 25, 35) if (p * q) % 10 == 5]
    below_and_above = [(p, q) for p in range(1, 60) for q in (12, 16)]  # .2, .4, .6, .8 of a cent: nearest
    for price, quantity in halves + below_and_above:
        expected = reference_total(price, quantity)
        got = call(learner, QUOTE, price, quantity)
        assert got == expected, f"quote_total({price}, {quantity}): expected {expected}, got {got!r}"


def test_returns_integer_cents(learner):
    for price, quantity in [(499, 1), (899, 15), (1099, 10)]:
        value = call(learner, QUOTE, price, quantity)
        assert type(value) is int, (
            f"quote_total({price}, {quantity}) returned {value!r}, a {type(value).__name__}; expected an int"
        )


def test_huge_orders_are_exact(learner):
    for price, quantity in [(2499, 10**7), (10**12, 10**7 + 3), (999_999_999_999, 123_456_789)]:
        expected = reference_total(price, quantity)
        got = call(learner, QUOTE, price, quantity)
        assert got == expected, f"quote_total({price}, {quantity}): expected {expected}, got {got!r}"


@pytest.mark.parametrize("price, quantity", [(899, 0), (899, -5), (-1, 3)])
def test_rejects_impossible_orders(learner, price, quantity):
    with pytest.raises(LearnerError) as raised:
        value = learner.call(QUOTE, price, quantity)
        pytest.fail(f"quote_total({price}, {quantity}): expected ValueError, got {value!r}")
    assert raised.value.type == "ValueError", (
        f"quote_total({price}, {quantity}): expected ValueError, got {raised.value.type}: {raised.value.message[:100]}"
    )
