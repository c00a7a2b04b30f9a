"""Pricing rules, as plain functions: easy to test, no web framework involved."""

BULK_QUANTITY = 10  # from this many ducks on, the whole line is 10% off


def quote_total(unit_price_cents: int, quantity: int) -> int:
    """The price of ``quantity`` ducks at ``unit_price_cents`` each, in integer cents.

    Orders of ``BULK_QUANTITY`` or more get 10% off, rounded half up to the cent.
    Raises ``ValueError`` for a quantity below 1 or a negative price.
    """
    # TODO: compute the total in integer cents (README, 'Pricing'). What breaks this?
    #       Try 15 ducks at 899 cents with floats and round() - you lose a cent.
    raise NotImplementedError("TODO: implement quote_total in app/pricing.py (see README.md)")
