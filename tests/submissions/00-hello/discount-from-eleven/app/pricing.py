"""Pricing rules, as plain functions: easy to test, no web framework involved."""

BULK_QUANTITY = 10  # from this many ducks on, the whole line is 10% off


def quote_total(unit_price_cents: int, quantity: int) -> int:
    """The price of ``quantity`` ducks at ``unit_price_cents`` each, in integer cents.

    Orders of ``BULK_QUANTITY`` or more get 10% off, rounded half up to the cent.
    Raises ``ValueError`` for a quantity below 1 or a negative price.
    """
    if quantity < 1:
        raise ValueError(f"quantity must be at least 1, got {quantity}")
    if unit_price_cents < 0:
        raise ValueError(f"unit price must not be negative, got {unit_price_cents}")
    total = unit_price_cents * quantity
    if quantity > BULK_QUANTITY:
        # 90% of total, rounded half up, in integers only: floats would lose cents
        # (round(12136.5) is 12136: Python rounds halves to even).
        total = (total * 9 + 5) // 10
    return total
