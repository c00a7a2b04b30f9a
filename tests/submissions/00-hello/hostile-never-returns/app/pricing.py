def quote_total(unit_price_cents: int, quantity: int) -> int:
    while True:
        pass
