"""The rules the hidden tests check against, computed independently of any submission."""

from decimal import ROUND_HALF_UP, Decimal

CATALOGUE = {"DUCK-001": 499, "DUCK-002": 899, "DUCK-003": 1299, "DUCK-004": 1099, "DUCK-005": 2499}


def reference_total(unit_price_cents: int, quantity: int) -> int:
    total = Decimal(unit_price_cents) * quantity
    if quantity >= 10:
        total = (total * Decimal("0.9")).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(total)
