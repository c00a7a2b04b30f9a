import pytest

from _reference import reference_total
from grader._sandbox.learner import LearnerError

QUOTE = "app.pricing:quote_total"


def test_small_orders_pay_full_price(learner):
    for price, quantity in [(499, 1), (899, 3), (2499, 9), (0, 5)]:
        assert learner.call(QUOTE, price, quantity) == price * quantity, f"quote_total({price}, {quantity})"


def test_discount_starts_at_ten_ducks(learner):
    assert learner.call(QUOTE, 1000, 9) == 9000, "9 ducks at 1000 cents: no discount yet, expected 9000"
    assert learner.call(QUOTE, 1000, 10) == 9000, "10 ducks at 1000 cents: 10% off 10000, expected 9000"


def test_discount_rounds_half_up(learner):
    assert learner.call(QUOTE, 899, 15) == 12137, "quote_total(899, 15): 13485 - 10% = 12136.5, half up -> 12137"
    halves = [(p, q) for p in range(1, 400, 3) for q in (15, 25, 35) if (p * q) % 10 == 5]
    for price, quantity in halves:
        expected = reference_total(price, quantity)
        assert learner.call(QUOTE, price, quantity) == expected, f"quote_total({price}, {quantity}), expected {expected}"


def test_returns_integer_cents(learner):
    for price, quantity in [(499, 1), (899, 15), (1099, 10)]:
        value = learner.call(QUOTE, price, quantity)
        assert type(value) is int, f"quote_total({price}, {quantity}) returned {value!r}, a {type(value).__name__}; expected an int"


def test_huge_orders_are_exact(learner):
    for price, quantity in [(2499, 10**7), (10**12, 10**7 + 3), (999_999_999_999, 123_456_789)]:
        expected = reference_total(price, quantity)
        assert learner.call(QUOTE, price, quantity) == expected, f"quote_total({price}, {quantity}), expected {expected}"


@pytest.mark.parametrize("price, quantity", [(899, 0), (899, -5), (-1, 3)])
def test_rejects_impossible_orders(learner, price, quantity):
    with pytest.raises(LearnerError) as raised:
        value = learner.call(QUOTE, price, quantity)
        pytest.fail(f"quote_total({price}, {quantity}) returned {value!r}; expected ValueError")
    assert raised.value.type == "ValueError", f"quote_total({price}, {quantity}): {raised.value}; expected ValueError"
