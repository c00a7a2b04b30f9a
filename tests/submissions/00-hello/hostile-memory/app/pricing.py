def quote_total(unit_price_cents: int, quantity: int) -> int:
    # 2 GB at once, more than the whole sandbox may use.
    hog = b"\x01" * (2 * 1024**3)
    return len(hog)
